"""DeviceAccuracy gives mmpretrain Accuracy's numbers, on 1 and 2 ranks."""
import json
import os
import os.path as osp

import pytest
import torch
import torch.multiprocessing as mp

NUM_CLASSES = 10


def logits_table(num, seed=0):
    """Logits of ``num`` images with ties, underflowing softmax tails and
    near-threshold scores, so every topk / threshold pair is exercised."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(num, NUM_CLASSES, generator=g) * 3
    logits[::5, 3:] = -200.0  # softmax of these classes is exactly 0
    logits[1::4, :2] = 1.5  # two tied top scores
    labels = torch.randint(0, NUM_CLASSES, (num, ), generator=g)
    labels[::3] = logits[::3].argmax(1)  # enough correct top-1 answers
    return logits, labels


def accuracy_by_evaluator(batches, size, metric_cfg):
    """What the search's evaluator reports: ClsHead predictions fed to an
    mmengine Evaluator holding mmpretrain's Accuracy."""
    from mmengine.evaluator import Evaluator
    from mmpretrain.evaluation import Accuracy
    from mmpretrain.models import ClsHead
    from mmpretrain.structures import DataSample
    evaluator = Evaluator([Accuracy(**metric_cfg)])
    head = ClsHead()
    for logits, labels in batches:
        samples = [DataSample().set_gt_label(int(y)) for y in labels]
        outputs = head._get_predictions(logits, samples)
        evaluator.process(
            data_samples=outputs, data_batch=dict(data_samples=samples))
    return evaluator.evaluate(size)


def accuracy_on_device(batches, size, metric_cfg):
    from mmpretrain.evaluation import Accuracy

    from mmrazor_lite.engine.search.device_accuracy import DeviceAccuracy
    metric = Accuracy(**metric_cfg)
    counter = DeviceAccuracy(metric.topk, metric.thrs, metric.prefix, size)
    for logits, labels in batches:
        counter.process(logits, labels)
    return counter.compute()


METRIC = dict(topk=(1, 2, 5), thrs=(0.0, 0.3, None))


def test_equals_the_accuracy_metric_bit_for_bit():
    logits, labels = logits_table(17)
    batches = [(logits[a:b], labels[a:b])
               for a, b in ((0, 7), (7, 14), (14, 17))]
    expected = accuracy_by_evaluator(batches, 17, METRIC)
    got = accuracy_on_device(batches, 17, METRIC)
    assert got == expected
    assert len(got) == 9 and 'accuracy/top5_thr-0.30' in got
    # k and both kinds of threshold matter in this data, so the equality
    # says something: underflowed scores fail thr 0, low ones thr 0.3
    assert got['accuracy/top5_no-thr'] > got['accuracy/top5_thr-0.00'] > \
        got['accuracy/top5_thr-0.30']
    assert got['accuracy/top2_no-thr'] > got['accuracy/top1_no-thr']
    single = dict(topk=(1, 5))
    assert accuracy_on_device(batches, 17, single) == \
        accuracy_by_evaluator(batches, 17, single)


def test_reset_starts_a_new_candidate():
    from mmrazor_lite.engine.search.device_accuracy import DeviceAccuracy
    logits, labels = logits_table(8)
    counter = DeviceAccuracy((1, ), (0.0, ), 'accuracy', 8)
    counter.process(logits, labels)
    first = counter.compute()
    counter.reset()
    counter.process(logits, labels)
    assert counter.compute() == first


def test_clear_errors():
    from mmpretrain.structures import DataSample

    from mmrazor_lite.engine.search.device_accuracy import DeviceAccuracy
    counter = DeviceAccuracy((20, ), (0.0, ), 'accuracy', 4)
    logits, labels = logits_table(4)
    with pytest.raises(ValueError, match='Top-20 .* categories is 10'):
        counter.process(logits, labels)
    with pytest.raises(RuntimeError, match='no sample'):
        DeviceAccuracy((1, ), (0.0, ), 'accuracy', 0).compute()
    multi = DataSample().set_gt_label([1, 2])
    with pytest.raises(ValueError, match='single-label'):
        DeviceAccuracy.labels(dict(data_samples=[multi]))


def _rank_main(rank, world, init_file, out_dir, size, batch):
    """One rank: its DefaultSampler shard of ``size`` images, both ways."""
    from mmengine.dataset import DefaultSampler
    from mmengine.dist import init_dist  # noqa: F401
    torch.set_num_threads(1)
    torch.distributed.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=world)
    try:
        logits, labels = logits_table(size)
        sampler = DefaultSampler(list(range(size)), shuffle=False)
        mine = list(sampler)
        batches = [(logits[mine[i:i + batch]], labels[mine[i:i + batch]])
                   for i in range(0, len(mine), batch)]
        result = dict(
            evaluator=accuracy_by_evaluator(batches, size, METRIC),
            device=accuracy_on_device(batches, size, METRIC))
        with open(osp.join(out_dir, f'rank{rank}.json'), 'w') as f:
            json.dump(result, f)
    finally:
        torch.distributed.destroy_process_group()


def test_two_ranks_drop_the_sampler_padding_as_the_evaluator_does(tmp_path):
    size, batch = 13, 4  # 13 images on 2 ranks: index 0 is padded in
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    mp.start_processes(
        _rank_main,
        args=(2, str(tmp_path / 'init'), str(tmp_path), size, batch),
        nprocs=2,
        start_method='spawn')
    results = [json.load(open(tmp_path / f'rank{r}.json')) for r in (0, 1)]
    logits, labels = logits_table(size)
    one_rank = accuracy_on_device([(logits, labels)], size, METRIC)
    for result in results:
        assert result['device'] == result['evaluator'] == one_rank
    # counting the padded copy of image 0 would change top-1, so the test
    # can tell whether the padding is dropped
    assert logits[0].argmax() == labels[0]
    padded = torch.cat([logits, logits[:1]]), torch.cat([labels, labels[:1]])
    with_padding = accuracy_on_device([padded], size + 1, METRIC)
    assert with_padding['accuracy/top1_no-thr'] != \
        one_rank['accuracy/top1_no-thr']


def test_only_plain_classifiers_with_one_accuracy_take_the_device_path():
    from mmengine.evaluator import Evaluator
    from mmengine.model import BaseModel
    from mmpretrain.evaluation import Accuracy, SingleLabelMetric
    from mmpretrain.models import ImageClassifier, LinearClsHead

    from mmrazor_lite.engine.search.device_accuracy import device_accuracy_for

    class Algorithm(BaseModel):

        def __init__(self, architecture):
            super().__init__()
            self.architecture = architecture

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.architecture(inputs, data_samples, mode=mode)

    class SigmoidHead(LinearClsHead):

        def _get_predictions(self, cls_score, data_samples):
            return super()._get_predictions(cls_score.sigmoid(), data_samples)

    def classifier(head_type=LinearClsHead):
        return ImageClassifier(
            backbone=dict(type='LeNet5', num_classes=-1),
            neck=dict(type='GlobalAveragePooling'),
            head=head_type(num_classes=NUM_CLASSES, in_channels=120))

    loader = torch.utils.data.DataLoader(list(range(5)))
    accuracy = Evaluator([Accuracy(topk=(1, 5))])
    counter, why = device_accuracy_for(accuracy, Algorithm(classifier()),
                                       loader)
    assert why == '' and counter.topk == (1, 5) and counter.dataset_size == 5

    two = Evaluator([Accuracy(), SingleLabelMetric()])
    counter, why = device_accuracy_for(two, Algorithm(classifier()), loader)
    assert counter is None and 'not one Accuracy' in why

    counter, why = device_accuracy_for(accuracy,
                                       Algorithm(classifier(SigmoidHead)),
                                       loader)
    assert counter is None and 'SigmoidHead' in why
