"""Score one path of a one-shot supernet: set it, re-estimate BN, validate.

The scorer is what an evolution search, a benchmark, a predictor-assisted or
a multi-objective search all call to turn a path into a number:

1. the path is set on the mutator;
2. BatchNorm statistics are re-estimated exactly (see
   :mod:`.bn_recalibration`) on the same ``calibrate_samples`` training
   images for every path (drawn once with ``seed``, each image's
   augmentation seeded by its index, and kept);
3. the model is validated on the search split under
   ``torch.inference_mode``; ``score_key`` of the metrics is the score. For
   a lone mmpretrain ``Accuracy`` the same numbers are counted on the device
   (see :mod:`.device_accuracy`), else the evaluator runs.

Distributed: every rank scores every path on its shard of the search split
and gets the same number (the evaluator gathers predictions, the device
counter all-reduces its counts, BN sums are all-reduced).
"""
import logging
import time
from typing import Mapping, Optional, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.model import BaseModel

from .bn_recalibration import calibration_batches, recalibrate_bn
from .device_accuracy import DeviceAccuracy, device_accuracy_for

# marks a cached batch that already went through the data preprocessor
PREPROCESSED = '_preprocessed'
CACHE_MODES = (True, False, 'preprocessed')


class CandidateScorer:
    """Turns a path (decision -> choice name) into its score.

    Args:
        model: the search algorithm (an mmengine ``BaseModel`` with a
            ``mutator`` and a ``data_preprocessor``), not a DDP wrapper.
        dataloader: the search split.
        evaluator (Evaluator): used unless the on-device count applies.
        calibrate_dataloader: training images for BN re-estimation; None
            switches it off (with a warning).
        calibrate_samples (int): images used to re-estimate BN (all ranks).
        seed (int): draws the calibration images.
        score_key (str): the metric returned as the score.
        cache_data (bool | str): ``True`` keeps this rank's batches on the
            model's device as loaded (uint8, stacked per batch);
            ``'preprocessed'`` keeps them after the data preprocessor
            (float32, normalised: 4x the memory, no per-path
            preprocessing); ``False`` re-reads the data for every path.
        device_accuracy (bool): count a lone ``Accuracy`` on the device.
        logger: where decisions are logged (default: the current logger).
    """

    def __init__(self,
                 model: BaseModel,
                 dataloader,
                 evaluator: Evaluator,
                 calibrate_dataloader=None,
                 calibrate_samples: int = 1024,
                 seed: int = 0,
                 score_key: str = 'accuracy/top1',
                 cache_data: Union[bool, str] = True,
                 device_accuracy: bool = True,
                 logger=None):
        if cache_data not in CACHE_MODES:
            raise ValueError(f"cache_data must be True, False or "
                             f"'preprocessed', got {cache_data!r}")
        self.model = model
        self.dataloader = dataloader
        self.evaluator = evaluator
        self.calibrate_dataloader = calibrate_dataloader or None
        self.calibrate_samples = int(calibrate_samples)
        if self.calibrate_dataloader is not None and \
                self.calibrate_samples < 1:
            # 0 used to skip BN re-estimation silently: scores of paths
            # with the supernet's mixed BN statistics
            raise ValueError(
                f'calibrate_samples must be >= 1 to re-estimate BN, got '
                f'{calibrate_samples!r}; set calibrate_dataloader=False to '
                f'score without re-estimating BN')
        self.seed = int(seed)
        self.score_key = score_key
        self.cache_data = cache_data
        self.use_device_accuracy = bool(device_accuracy)
        self.logger = logger
        #: this rank's search batches as cached (None until first used)
        self.search_cache: Optional[list] = None
        self._search_labels: Optional[list] = None
        #: the calibration batches (None until the first path is scored)
        self.calibration_batches: Optional[list] = None
        #: the on-device accuracy counter, None: scored by the evaluator
        self.accuracy_counter: Optional[DeviceAccuracy] = None
        self._counter_decided = False
        #: seconds spent loading and caching data once (not per path)
        self.data_seconds = 0.0
        self._bn_timed = False

    @classmethod
    def from_runner(cls,
                    runner,
                    model,
                    dataloader,
                    evaluator,
                    calibrate_dataloader=None,
                    **kwargs) -> 'CandidateScorer':
        """Build evaluator and calibration loader from config dicts.

        ``calibrate_dataloader=None`` takes the config's
        ``train_dataloader``; ``False`` switches BN re-estimation off.
        """
        if isinstance(evaluator, (dict, list)):
            evaluator = runner.build_evaluator(evaluator)
        metainfo = getattr(dataloader.dataset, 'metainfo', None)
        if metainfo is not None:
            evaluator.dataset_meta = metainfo
        if calibrate_dataloader is None:
            calibrate_dataloader = runner.cfg.get('train_dataloader')
        if isinstance(calibrate_dataloader, dict):
            calibrate_dataloader = runner.build_dataloader(
                calibrate_dataloader, seed=runner.seed)
        return cls(
            model,
            dataloader,
            evaluator,
            calibrate_dataloader,
            logger=runner.logger,
            **kwargs)

    def _log(self, message: str, level=logging.INFO) -> None:
        print_log(message, logger=self.logger or 'current', level=level)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    # ------------------------------------------------------------ scoring
    def score(self, choices: Mapping[str, str]) -> float:
        """Set ``choices``, re-estimate BN, return ``score_key``."""
        self.activate(choices)
        metrics = self.validate()
        if self.score_key not in metrics:
            raise KeyError(f'score_key {self.score_key!r} is not among the '
                           f'metrics {sorted(metrics)}')
        return float(metrics[self.score_key])

    def activate(self, choices: Mapping[str, str]) -> None:
        """Make ``choices`` the active path, with its own BN statistics."""
        self.model.mutator.set_choices(choices)
        self.model.eval()
        self.recalibrate()

    def recalibrate(self) -> None:
        """Re-estimate BN on the calibration images (the same every time)."""
        if self.calibrate_dataloader is None:
            if self.calibration_batches is None:
                self.calibration_batches = []
                self._log(
                    'evolution search: no calibrate_dataloader, BN '
                    'statistics are not re-estimated per candidate',
                    logging.WARNING)
            return
        if self.calibration_batches is None:
            self.calibration_batches = self._load_once(
                f'{self.calibrate_samples} calibration images (BN '
                f're-estimation, the same for every candidate)', lambda: [
                    self._cached(b)
                    if self.cache_data else b for b in calibration_batches(
                        self.calibrate_dataloader, self.calibrate_samples, self
                        .seed)
                ])
        start = time.perf_counter()
        # called on every rank, even one with no batch: it all-reduces
        recalibrate_bn(self.model, self.calibration_batches, self.logits)
        if not self._bn_timed:  # later ones cost the same: said once
            self._bn_timed = True
            self._log(f'evolution search: BN statistics re-estimated for '
                      f'the first candidate in '
                      f'{time.perf_counter() - start:.2f} s')

    def validate(self) -> dict:
        """Metrics of the active path on the search split."""
        counter = self._counter()
        if counter is not None:
            counter.reset()
            with torch.inference_mode():
                for batch, labels in self._labelled_batches():
                    counter.process(self.logits(batch), labels)
            return counter.compute()
        with torch.inference_mode():
            for batch in self.search_batches():
                self.evaluator.process(
                    data_samples=self._predict(batch), data_batch=batch)
        return self.evaluator.evaluate(len(self.dataloader.dataset))

    @property
    def scoring_path(self) -> Optional[str]:
        """``'device'`` or ``'evaluator'``; None before the first score."""
        if not self._counter_decided:
            return None
        return 'evaluator' if self.accuracy_counter is None else 'device'

    def use_evaluator(self) -> None:
        """Score through the evaluator from now on (no on-device count)."""
        self._counter_decided = True
        self.accuracy_counter = None

    # ------------------------------------------------------------ forwards
    def logits(self, batch: dict) -> torch.Tensor:
        """The active path's output on ``batch``'s images."""
        model = self.model
        if batch.get(PREPROCESSED):
            return model(batch['inputs'], mode='tensor')
        # labels are not needed: the preprocessor skips their bookkeeping
        data = model.data_preprocessor(dict(inputs=batch['inputs']), False)
        return model(data['inputs'], mode='tensor')

    def _predict(self, batch: dict) -> list:
        """``model.val_step(batch)``, also for a preprocessed batch."""
        model = self.model
        if not batch.get(PREPROCESSED):
            return model.val_step(batch)
        if type(model).val_step is not BaseModel.val_step:
            raise ValueError(
                f"cache_data='preprocessed' skips val_step, but "
                f"{type(model).__name__} has its own; use cache_data=True")
        return model(
            batch['inputs'], batch.get('data_samples'), mode='predict')

    def _counter(self) -> Optional[DeviceAccuracy]:
        if not self._counter_decided:
            self._counter_decided = True
            if self.use_device_accuracy:
                counter, why = device_accuracy_for(self.evaluator, self.model,
                                                   self.dataloader)
                self.accuracy_counter = counter
                self._log(
                    'evolution search: top-k accuracy counted on the device'
                    if counter is not None else
                    f'evolution search: scoring through the evaluator ({why})')
        return self.accuracy_counter

    # --------------------------------------------------------------- data
    def search_batches(self):
        """This rank's search batches; loaded and moved once if cached."""
        if not self.cache_data:
            return self.dataloader
        if self.search_cache is None:
            self.search_cache = self._load_once(
                f'the search split ({len(self.dataloader.dataset)} images)',
                lambda: [self._cached(b) for b in self.dataloader])
        return self.search_cache

    def _load_once(self, what: str, load) -> list:
        """``load()``, logged when it starts and ends: the first candidate
        waits for it (minutes for ImageNet val)."""
        kept = 'in memory' if not self.cache_data else \
            f'on {self.device}, ' + ('normalised' if self.cache_data ==
                                     'preprocessed' else 'as loaded')
        self._log(f'evolution search: loading {what} once, kept {kept}')
        start = time.perf_counter()
        batches = load()
        seconds = time.perf_counter() - start
        self.data_seconds += seconds
        images = sum(len(b['inputs']) for b in batches)
        self._log(f'evolution search: {images} images in {len(batches)} '
                  f'batches ready in {seconds:.1f} s (this process)')
        return batches

    def _labelled_batches(self):
        """``(batch, labels)`` pairs of this rank's search split."""
        if not self.cache_data:
            return ((b, DeviceAccuracy.labels(b)) for b in self.dataloader)
        batches = self.search_batches()
        if self._search_labels is None:
            self._search_labels = [
                DeviceAccuracy.labels(b).to(self.device) for b in batches
            ]
        return zip(batches, self._search_labels)

    def _cached(self, batch: dict) -> dict:
        """``batch`` as the cache keeps it (see ``cache_data``)."""
        batch = self._on_device(batch)
        if self.cache_data != 'preprocessed':
            return batch
        data = self.model.data_preprocessor(batch, False)
        return {
            'inputs': data['inputs'],
            'data_samples': data.get('data_samples'),
            PREPROCESSED: True
        }

    def _on_device(self, batch: dict) -> dict:
        """``batch`` with its images moved to the model's device, once.

        Same-sized images are stacked into one uint8 tensor: the data
        preprocessor then flips and normalises the batch in a few ops
        instead of a few per image (the same values; it was ~3 % of a
        candidate on the CPU).
        """
        device = self.device
        inputs = batch['inputs']
        if isinstance(inputs, (list, tuple)):
            if inputs and all(x.shape == inputs[0].shape for x in inputs):
                inputs = torch.stack(list(inputs))
            else:
                inputs = [x.to(device, non_blocking=True) for x in inputs]
        if isinstance(inputs, torch.Tensor):
            inputs = inputs.to(device, non_blocking=True)
        return dict(batch, inputs=inputs)
