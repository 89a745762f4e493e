"""What scoring a candidate pays on top of its forwards: the accuracy.

    python tools/benchmarks/accuracy_bookkeeping.py [--device cpu|cuda]
        [--images 2048] [--batch 256] [--classes 1000] [--repeats 5] [--json]

Given the logits of ``--images`` images (random, already on ``--device``),
time the two ways the evolution search can turn them into top-1/top-5
accuracy:

- **evaluator**: what mmengine's validation does: ``ClsHead`` builds one
  ``DataSample`` per image (softmax scores and label), mmpretrain's
  ``Accuracy`` copies each to the CPU, stacks them and computes top-k;
- **device**: :class:`mmrazor_lite.engine.search.DeviceAccuracy`,
  softmax, top-k and counts on the device, one copy of two numbers.

Both give the same metrics (checked here, and in
``tests/test_engine/test_search/test_device_accuracy.py``). Reported:
median seconds per ``--images`` images for each, and per 1000 images.
"""
import argparse

from benchmark_report import alternate, describe_machine, print_result


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--images', type=int, default=2048)
    parser.add_argument('--batch', type=int, default=256)
    parser.add_argument('--classes', type=int, default=1000)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--json', action='store_true')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import torch
    from mmengine.evaluator import Evaluator
    from mmpretrain.evaluation import Accuracy
    from mmpretrain.models import ClsHead
    from mmpretrain.structures import DataSample

    from mmrazor_lite.engine.search.device_accuracy import DeviceAccuracy

    g = torch.Generator().manual_seed(0)
    batches = []
    for start in range(0, args.images, args.batch):
        size = min(args.batch, args.images - start)
        logits = torch.randn(size, args.classes, generator=g)
        labels = torch.randint(0, args.classes, (size, ), generator=g)
        samples = [DataSample().set_gt_label(int(y)) for y in labels]
        batches.append(
            (logits.to(args.device), labels.to(args.device), samples))
    sync = torch.cuda.synchronize if args.device == 'cuda' else \
        (lambda: None)
    head = ClsHead()

    def by_evaluator():
        evaluator = Evaluator([Accuracy(topk=(1, 5))])
        for logits, _, samples in batches:
            outputs = head._get_predictions(logits, samples)
            evaluator.process(
                data_samples=outputs, data_batch=dict(data_samples=samples))
        return evaluator.evaluate(args.images)

    counter = DeviceAccuracy((1, 5), (0.0, ), 'accuracy', args.images)

    def on_device():
        counter.reset()
        for logits, labels, _ in batches:
            counter.process(logits, labels)
        return counter.compute()

    results, times = {}, {}
    for name, fn in (('evaluator', by_evaluator), ('device', on_device)):
        results[name] = fn()  # and a warm-up
        (times[name], ) = alternate([fn], args.repeats, sync=sync)
    if results['evaluator'] != results['device']:
        raise SystemExit(f'the two ways disagree: {results}')
    per_1000 = 1000 / args.images
    result = dict(
        device=args.device,
        **describe_machine(args.device),
        images=args.images,
        batch=args.batch,
        classes=args.classes,
        evaluator_s=round(times['evaluator'], 4),
        device_s=round(times['device'], 4),
        evaluator_ms_per_1000=round(times['evaluator'] * per_1000 * 1e3, 2),
        device_ms_per_1000=round(times['device'] * per_1000 * 1e3, 2),
        speedup=round(times['evaluator'] / times['device'], 1))
    print_result(result, args.json)
    return result


if __name__ == '__main__':
    main()
