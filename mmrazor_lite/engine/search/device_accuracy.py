"""Top-k accuracy of a search candidate, counted on the model's device.

mmpretrain's ``Accuracy`` metric wants one ``DataSample`` per image, copies
each image's score vector to the CPU, and stacks them again at the end. A
search scores hundreds of candidates on the same images, and on a GPU that
bookkeeping costs 15-60 % of the forwards themselves
(docs/benchmarks.md). When the evaluator is that one metric and the model
is a plain single-label mmpretrain classifier, :class:`DeviceAccuracy`
counts the same correct predictions where the logits are and all-reduces
the counts once per candidate.

The numbers are the evaluator's, bit for bit:

- the same scores: ``softmax(logits)`` as ``ClsHead`` computes them, then
  ``topk`` and the thresholds as ``Accuracy.calculate`` applies them;
- the same images: mmengine's ``DefaultSampler`` pads the split so that
  every rank gets as many indices, and result collection interleaves the
  ranks' results and keeps the first ``len(dataset)``. Rank ``r``'s
  ``k``-th sample therefore sits at position ``r + k * world_size`` and
  counts only below ``len(dataset)``;
- the same arithmetic: the count is turned into a float32 percentage with
  ``count * (100 / num)`` as the metric does.

:func:`device_accuracy_for` says whether a loop can take this path; when it
cannot (another metric, a custom head or classifier, a sampler whose
padding is unknown) the search keeps using the evaluator.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.dataset import DefaultSampler
from mmengine.dist import all_reduce, get_rank, get_world_size
from mmengine.model import BaseModel


class DeviceAccuracy:
    """Counts correct top-k predictions of one candidate on the device.

    Args:
        topk: the ``topk`` of the ``Accuracy`` metric it stands in for.
        thrs: its ``thrs`` (``None`` entries: no threshold).
        prefix: its prefix (``'accuracy'`` by default in mmpretrain).
        dataset_size: ``len(dataset)`` of the search split.
    """

    def __init__(self, topk: Sequence[int], thrs: Sequence[Optional[float]],
                 prefix: str, dataset_size: int):
        self.topk = tuple(int(k) for k in topk)
        self.thrs = tuple(thrs)
        self.prefix = prefix
        self.dataset_size = int(dataset_size)
        self._counts: Optional[torch.Tensor] = None
        self._num: Optional[torch.Tensor] = None
        self._seen = 0  # this rank's samples so far (for their positions)

    @staticmethod
    def labels(data_batch: dict) -> torch.Tensor:
        """The batch's ground-truth labels, one per image, as int64."""
        samples = data_batch.get('data_samples')
        if not samples:
            raise ValueError('the search batches carry no data_samples, so '
                             'there is no gt_label to score against')
        labels = []
        for sample in samples:
            label = torch.as_tensor(sample.gt_label)
            if label.numel() != 1:
                raise ValueError(
                    f'DeviceAccuracy scores single-label data; a sample '
                    f'has gt_label {label.tolist()}')
            labels.append(label.reshape(1))
        return torch.cat(labels).to(torch.int64)

    def reset(self) -> None:
        self._counts = None
        self._num = None
        self._seen = 0

    def process(self, logits: torch.Tensor, labels: torch.Tensor) -> None:
        """Add one batch: its ``(B, C)`` logits and ``(B,)`` labels."""
        num_classes = logits.size(1)
        maxk = max(self.topk)
        if maxk > num_classes:
            raise ValueError(
                f'Top-{maxk} accuracy is unavailable since the number of '
                f'categories is {num_classes}; lower topk of the search '
                f'evaluator')
        device = logits.device
        batch = logits.size(0)
        # global positions of this rank's samples; the padding is dropped
        rank, world = get_rank(), get_world_size()
        positions = rank + world * torch.arange(
            self._seen, self._seen + batch, device=device)
        self._seen += batch
        valid = positions < self.dataset_size

        scores = F.softmax(logits, dim=1).float()
        top_score, top_label = scores.topk(maxk, dim=1)
        correct = top_label.eq(labels.to(device).view(-1, 1)) & \
            valid.view(-1, 1)
        counts = []
        for k in self.topk:
            for thr in self.thrs:
                hit = correct if thr is None else correct & (top_score > thr)
                counts.append(hit[:, :k].sum())
        counts = torch.stack(counts)
        if self._counts is None:
            self._counts = counts
            self._num = valid.sum()
        else:
            self._counts += counts
            self._num += valid.sum()

    def compute(self) -> Dict[str, float]:
        """The metrics over all ranks, keyed as ``Accuracy`` keys them."""
        if self._counts is None:
            counts = torch.zeros(
                len(self.topk) * len(self.thrs), dtype=torch.int64)
            num = torch.zeros((), dtype=torch.int64)
        else:
            counts, num = self._counts, self._num
        totals = torch.cat([counts, num.view(1)]).to(torch.int64)
        if get_world_size() > 1:
            all_reduce(totals, op='sum')
        totals = totals.cpu()
        num = int(totals[-1])
        if num == 0:
            raise RuntimeError(
                'the search split gave no sample to score (empty dataset or '
                'dataloader)')
        metrics = {}
        multi_thrs = len(self.thrs) > 1
        values = iter(totals[:-1].tolist())
        for k in self.topk:
            for thr in self.thrs:
                name = f'top{k}'
                if multi_thrs:
                    name += '_no-thr' if thr is None else f'_thr-{thr:.2f}'
                # float32 count times 100 / num, as Accuracy.calculate does
                value = torch.tensor([float(next(values))],
                                     dtype=torch.float32).mul_(100. / num)
                metrics[f'{self.prefix}/{name}'] = value.item()
        return metrics


def _same_method(obj, base: type, name: str) -> bool:
    return getattr(type(obj), name, None) is getattr(base, name)


def device_accuracy_for(evaluator, model: BaseModel,
                        dataloader) -> Tuple[Optional[DeviceAccuracy], str]:
    """A :class:`DeviceAccuracy` that gives ``evaluator``'s numbers, or why
    there is none.

    Args:
        evaluator: the search loop's mmengine ``Evaluator``.
        model: the unwrapped NAS algorithm (it holds ``architecture``).
        dataloader: the search split's loader.

    Returns:
        ``(DeviceAccuracy, '')`` or ``(None, reason)``.
    """
    from mmpretrain.evaluation import Accuracy
    from mmpretrain.models import ClsHead, ImageClassifier

    metrics = getattr(evaluator, 'metrics', [])
    if len(metrics) != 1 or type(metrics[0]) is not Accuracy:
        names = [type(m).__name__ for m in metrics]
        return None, f'the evaluator is {names}, not one Accuracy'
    metric = metrics[0]
    if not _same_method(model, BaseModel, 'val_step'):
        return None, f'{type(model).__name__} has its own val_step'
    architecture = getattr(model, 'architecture', None)
    if not isinstance(architecture, ImageClassifier) or not all(
            _same_method(architecture, ImageClassifier, name)
            for name in ('forward', 'predict')):
        return None, ('the architecture is not a plain mmpretrain '
                      'ImageClassifier')
    head = getattr(architecture, 'head', None)
    if not isinstance(head, ClsHead) or not all(
            _same_method(head, ClsHead, name)
            for name in ('predict', '_get_predictions')):
        return None, (f'the head {type(head).__name__} does not predict '
                      f'as ClsHead does (softmax scores)')
    sampler = getattr(dataloader, 'sampler', None)
    if get_world_size() > 1 and not (isinstance(sampler, DefaultSampler)
                                     and sampler.round_up):
        return None, ('distributed, and the sampler is not a DefaultSampler '
                      'with round_up=True, so which samples are padding is '
                      'unknown')
    return DeviceAccuracy(metric.topk, metric.thrs, metric.prefix,
                          len(dataloader.dataset)), ''
