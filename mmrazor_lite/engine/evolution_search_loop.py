"""SPOS stage 2: evolutionary search of a trained supernet, as a train loop.

Used as ``train_cfg=dict(type='EvolutionSearchLoop', ...)`` and run by
``tools/train.py CONFIG --cfg-options load_from=SUPERNET_CKPT``.

One generation:

1. the population is filled up to ``num_candidates`` with uniformly sampled
   paths (the whole population in generation 1);
2. every candidate never scored before is scored (scores are cached by the
   candidate, so no path is ever evaluated twice);
3. the previous top-k and the population are merged and sorted by score with
   a stable sort (ties are all kept, in the order they were met) and the best
   ``top_k`` kept;
4. the next population is ``num_mutation`` mutations (each block of a top-k
   parent re-drawn with probability ``mutate_prob``) and ``num_crossover``
   uniform crossovers of two top-k parents. Children over the FLOPs / params
   budget (checked in a :class:`ResourceTable` built once) or already seen
   are rejected before any evaluation; at most ``max_tries_factor`` times as
   many tries as wanted children are made.

Score: the candidate is set on the mutator, its BatchNorm statistics are
re-estimated exactly (see :mod:`.bn_recalibration`) on the same
``calibrate_samples`` training images for every candidate (drawn once with
the search seed, each image's augmentation seeded by its index, and kept),
then the model is validated on ``dataloader`` under ``torch.inference_mode``
and ``score_key`` of the evaluator's metrics is the score (for a lone
mmpretrain ``Accuracy`` the same numbers are counted on the device, see
:mod:`.device_accuracy`).

Files in ``work_dir``, rewritten atomically after every generation:
``search_epoch_{N}.pth`` (the whole search state as plain lists / numbers /
strings: it loads with ``torch.load(weights_only=True)``) and
``search_top_k.txt`` (rank, score, FLOPs, params, subnet). At the end:
``best_fix_subnet.yaml`` (module path -> ``{chosen: NAME}``) and
``best_subnet_weights.pth``: ``{'state_dict', 'meta': {'fix_subnet'}}``,
the state dict of the searched model (the SPOS algorithm, so keys read
``architecture.backbone...`` as in MMRazor; load it into a subnet with
``prefix='architecture.'``) without the weights of unchosen candidates.

Resume: with ``resume=True`` in the config (``tools/train.py --resume``) the
loop continues from the latest ``search_epoch_{N}.pth`` of the work dir; an
explicit ``resume_from`` (or ``--resume search_epoch_N.pth``) names the file.
The supernet weights still come from ``load_from``; when it is empty (as
``--resume`` without a path leaves it) the checkpoint recorded in the search
state is loaded. The RNG state, population, top-k and score cache are
restored, so an interrupted search ends with the same answer as an
uninterrupted one. The runner's own resume (optimizer, iteration counters) is
switched off: a search has no such state.

Distributed: every rank holds the same search state and makes the same
decisions without exchanging it. The search RNG is seeded identically on
every rank (``seed``, or one seed drawn on rank 0 and broadcast); every rank
evaluates every candidate on its shard of the search split (the dataloader's
``DefaultSampler`` shards it) and mmengine's evaluator gathers the
predictions of all ranks and broadcasts the metrics (the on-device
accuracy all-reduces its counts instead), so every rank gets the same
score. BN recalibration deals the fixed calibration batches out to the
ranks and sums the statistics over ranks, so it too is independent of the
number of processes: the search reaches the same answer on 1 or N
processes. Only rank 0 writes files.
"""
import glob
import os.path as osp
import random
import re
from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.dist import barrier, is_main_process, sync_random_seed
from mmengine.evaluator import Evaluator
from mmengine.model import BaseModel
from mmengine.runner.base_loop import BaseLoop
from torch.utils.data import DataLoader

from mmrazor_lite.registry import LOOPS

from .bn_recalibration import calibration_batches, recalibrate_bn
from .checkpoint_io import (atomic_torch_save, atomic_write_text,
                            load_checkpoint_file)
from .device_accuracy import DeviceAccuracy, device_accuracy_for

Candidate = Tuple[str, ...]

STATE_PATTERN = re.compile(r'search_epoch_(\d+)\.pth$')
# marks a cached batch that already went through the data preprocessor
PREPROCESSED = '_preprocessed'


class SearchConstraintError(ValueError):
    """No candidate (or too few) satisfy the FLOPs / params budget."""


def _check_range(name, value):
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return (None, value)  # a bare number is an upper bound
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f'{name} must be None, an upper bound or (min, max) '
                         f'(either may be None), got {value!r}')
    low, high = value
    if low is not None and high is not None and low > high:
        raise ValueError(f'{name} {value!r}: min is larger than max')
    return (low, high)


def _in_range(value, bounds) -> bool:
    if bounds is None:
        return True
    low, high = bounds
    return (low is None or value >= low) and (high is None or value <= high)


def _is_search_state(path) -> bool:
    return isinstance(path, str) and bool(STATE_PATTERN.search(path))


def latest_search_state(work_dir: str) -> Optional[str]:
    """The ``search_epoch_{N}.pth`` of ``work_dir`` with the largest N."""
    found = []
    for path in glob.glob(osp.join(work_dir, 'search_epoch_*.pth')):
        match = STATE_PATTERN.search(osp.basename(path))
        if match:
            found.append((int(match.group(1)), path))
    return max(found)[1] if found else None


@LOOPS.register_module()
class EvolutionSearchLoop(BaseLoop):
    """Evolutionary search of a one-shot supernet (see the module docstring).

    Args:
        runner: the mmengine runner.
        dataloader (DataLoader | dict): the search split (scored).
        evaluator (dict | list | Evaluator): e.g. ``dict(type='Accuracy',
            topk=(1, 5))``.
        calibrate_dataloader (DataLoader | dict, optional): training images
            for BN recalibration; default: the config's ``train_dataloader``.
            ``False`` switches recalibration off.
        calibrate_samples (int): images used to re-estimate BN (all ranks).
        max_epochs (int): generations.
        num_candidates (int): population size.
        top_k (int): candidates kept as parents.
        num_mutation (int), num_crossover (int): children per generation.
        mutate_prob (float): probability to re-draw each block of a mutant.
        max_tries_factor (int): at most this many tries per wanted child.
        flops_range, params_range: ``None`` or ``(min, max)`` (inclusive;
            either bound may be ``None``).
        input_shape: the input traced for the FLOPs table.
        flops_convention (str): the counting convention of the table.
        score_key (str): the metric maximised.
        seed (int, optional): seed of the search RNG (default: drawn on rank
            0 and broadcast).
        cache_data (bool | str): keep this rank's search-split batches and
            calibration batches on the model's device after the first
            candidate, so later candidates neither decode images nor copy
            them to the GPU. ``True``: as loaded (uint8 images after the
            pipeline, stacked per batch), ~150 KB per 224x224 image and
            rank (~1 GB per GPU for ImageNet val on 8 GPUs); the data
            preprocessor runs per candidate. ``'preprocessed'``: what the
            data preprocessor makes of them (float32, normalised), 4x the
            memory (~600 KB per image, ~3.8 GB per GPU for ImageNet val on
            8 GPUs) and no per-candidate preprocessing (~3 % of a
            candidate on the CPU). ``False`` re-reads the search split for
            every candidate.
        device_accuracy (bool): when the evaluator is one mmpretrain
            ``Accuracy`` and the model a plain single-label classifier,
            count correct predictions on the model's device instead of
            building per-image ``DataSample`` predictions for the metric
            (the same numbers; see :mod:`.device_accuracy`). Other
            evaluators always go through the evaluator.
        resume_from (str, optional): a ``search_epoch_{N}.pth`` to continue.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, dict],
                 evaluator: Union[dict, list, Evaluator],
                 calibrate_dataloader: Union[DataLoader, dict, None] = None,
                 calibrate_samples: int = 1024,
                 max_epochs: int = 20,
                 num_candidates: int = 50,
                 top_k: int = 10,
                 num_mutation: int = 25,
                 num_crossover: int = 25,
                 mutate_prob: float = 0.1,
                 max_tries_factor: int = 10,
                 flops_range: Optional[Sequence] = None,
                 params_range: Optional[Sequence] = None,
                 input_shape: Sequence[int] = (1, 3, 224, 224),
                 flops_convention: str = 'fvcore',
                 score_key: str = 'accuracy/top1',
                 seed: Optional[int] = None,
                 cache_data: Union[bool, str] = True,
                 device_accuracy: bool = True,
                 resume_from: Optional[str] = None):
        super().__init__(runner, dataloader)
        for name, value in (('max_epochs', max_epochs),
                            ('num_candidates', num_candidates),
                            ('top_k', top_k),
                            ('max_tries_factor', max_tries_factor)):
            if int(value) < 1:
                raise ValueError(f'{name} must be >= 1, got {value!r}')
        if num_mutation < 0 or num_crossover < 0:
            raise ValueError('num_mutation and num_crossover must be >= 0')
        if not 0.0 <= mutate_prob <= 1.0:
            raise ValueError(f'mutate_prob must lie in [0, 1], got '
                             f'{mutate_prob!r}')
        self._max_epochs = int(max_epochs)
        self.num_candidates = int(num_candidates)
        self.top_k = int(top_k)
        self.num_mutation = int(num_mutation)
        self.num_crossover = int(num_crossover)
        self.mutate_prob = float(mutate_prob)
        self.max_tries_factor = int(max_tries_factor)
        self.flops_range = _check_range('flops_range', flops_range)
        self.params_range = _check_range('params_range', params_range)
        self.input_shape = tuple(input_shape)
        self.flops_convention = flops_convention
        self.score_key = score_key
        self.calibrate_samples = int(calibrate_samples)
        if cache_data not in (True, False, 'preprocessed'):
            raise ValueError(f"cache_data must be True, False or "
                             f"'preprocessed', got {cache_data!r}")
        self.cache_data = cache_data
        self._search_cache: Optional[list] = None
        self._search_labels: Optional[list] = None
        self.use_device_accuracy = bool(device_accuracy)
        self._device_accuracy: Optional[DeviceAccuracy] = None
        self._device_accuracy_decided = False

        if isinstance(evaluator, (dict, list)):
            evaluator = runner.build_evaluator(evaluator)
        self.evaluator = evaluator
        metainfo = getattr(self.dataloader.dataset, 'metainfo', None)
        if metainfo is not None:
            self.evaluator.dataset_meta = metainfo

        if calibrate_dataloader is None:
            calibrate_dataloader = runner.cfg.get('train_dataloader')
        if isinstance(calibrate_dataloader, dict):
            calibrate_dataloader = runner.build_dataloader(
                calibrate_dataloader, seed=runner.seed)
        self.calibrate_dataloader = calibrate_dataloader or None

        self.seed = int(seed) if seed is not None else sync_random_seed()
        self.rng = random.Random(self.seed)

        self._epoch = 0
        self._iter = 0
        self.population: List[Candidate] = []
        self.top_k_candidates: List[Candidate] = []
        self.scores: 'OrderedDict[Candidate, float]' = OrderedDict()
        #: candidates scored by this process, in order (for bookkeeping)
        self.evaluated: List[Candidate] = []
        self.supernet_checkpoint = runner._load_from
        self._calibration_batches: Optional[list] = None

        self._resume_state = self._take_over_resume(runner, resume_from)

    # ----------------------------------------------------------- resume
    def _take_over_resume(self, runner, resume_from) -> Optional[dict]:
        """Decide which search state to continue; keep the runner off it.

        mmengine's resume restores an optimizer and iteration counters from a
        training checkpoint, which a search has not: it is switched off here
        (the loop is built before the runner loads anything) and ``load_from``
        stays the supernet checkpoint whose weights are searched.
        """
        wants_resume = bool(runner.cfg.get('resume', False)) or bool(
            getattr(runner, '_resume', False))
        load_from = runner._load_from
        if resume_from is None and wants_resume:
            if _is_search_state(load_from):
                resume_from = load_from
            else:
                resume_from = latest_search_state(runner.work_dir)
                if resume_from is None:
                    runner.logger.info(
                        f'resume: no search_epoch_*.pth in '
                        f'{runner.work_dir}; the search starts afresh')
        runner._resume = False
        if _is_search_state(load_from):
            runner._load_from = None
        if resume_from is None:
            return None
        state = load_checkpoint_file(resume_from, map_location='cpu')
        if not isinstance(state, dict) or 'generation' not in state:
            raise ValueError(f'{resume_from!r} is not a search state written '
                             f'by EvolutionSearchLoop (no "generation")')
        if runner._load_from is None:
            runner._load_from = state.get('supernet_checkpoint')
        elif state.get('supernet_checkpoint') not in (None,
                                                       runner._load_from):
            runner.logger.warning(
                f'resume: the search in {resume_from} ran on '
                f'{state["supernet_checkpoint"]!r}, load_from is now '
                f'{runner._load_from!r}')
        self.supernet_checkpoint = runner._load_from
        runner.logger.info(f'resume: search state {resume_from} '
                           f'(generation {state["generation"]})')
        return state

    def _restore(self, state: dict) -> None:
        keys = list(self.choices)
        if list(state['decisions']) != keys:
            raise ValueError(
                f'the search state was written for the decisions '
                f'{state["decisions"]}, this model has {keys}')
        self._epoch = int(state['generation'])
        self._iter = self._epoch
        self.population = [tuple(c) for c in state['population']]
        self.top_k_candidates = [tuple(c) for c in state['top_k']]
        self.scores = OrderedDict(
            (tuple(c), float(s)) for c, s in state['scores'])
        version, internal, gauss = state['rng_state']
        self.rng.setstate((int(version), tuple(int(x) for x in internal),
                           gauss))

    def state_dict(self) -> dict:
        """The search state, plain python only (``weights_only`` loadable)."""
        version, internal, gauss = self.rng.getstate()
        return dict(
            generation=self._epoch,
            decisions=list(self.choices),
            population=[list(c) for c in self.population],
            top_k=[list(c) for c in self.top_k_candidates],
            scores=[[list(c), float(s)] for c, s in self.scores.items()],
            rng_state=[int(version), [int(x) for x in internal], gauss],
            seed=self.seed,
            supernet_checkpoint=self.supernet_checkpoint,
            num_candidates=self.num_candidates,
            top_k_size=self.top_k,
            flops_range=(list(self.flops_range)
                         if self.flops_range is not None else None),
            params_range=(list(self.params_range)
                          if self.params_range is not None else None),
        )

    # ------------------------------------------------------ loop counters
    @property
    def max_epochs(self) -> int:
        return self._max_epochs

    @property
    def max_iters(self) -> int:
        return self._max_epochs

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    # ------------------------------------------------------------ model
    @property
    def model(self):
        model = self.runner.model
        return model.module if hasattr(model, 'module') else model

    @property
    def mutator(self):
        return self.model.mutator

    def _as_dict(self, candidate: Candidate) -> 'OrderedDict[str, str]':
        return OrderedDict(zip(self.choices, candidate))

    def _as_candidate(self, choices) -> Candidate:
        return tuple(choices[k] for k in self.choices)

    # ----------------------------------------------------------- run
    def run(self):
        from mmrazor_lite.estimators.resource_table import ResourceTable
        self.choices = self.mutator.choices
        if self._resume_state is not None:
            self._restore(self._resume_state)
            self._resume_state = None
        self.table = ResourceTable(self.model.architecture, self.mutator,
                                   self.input_shape, self.flops_convention)
        self._check_feasible()
        logger = self.runner.logger
        logger.info(
            f'evolution search: {self._max_epochs} generations, population '
            f'{self.num_candidates}, top-k {self.top_k}, '
            f'{self.num_mutation} mutations + {self.num_crossover} '
            f'crossovers, flops_range {self.flops_range}, params_range '
            f'{self.params_range}, starting after generation {self._epoch}')
        while self._epoch < self._max_epochs:
            self.run_epoch()
        self._finish()
        return self.runner.model

    def run_epoch(self) -> None:
        """One generation: fill, score, select, breed, save."""
        self._fill_population()
        if not self.population and not self.top_k_candidates:
            raise SearchConstraintError(self._no_candidate_message())
        for candidate in self.population:
            if candidate not in self.scores:
                self.scores[candidate] = self.score_candidate(candidate)
        pool = list(self.top_k_candidates)
        for candidate in self.population:
            if candidate not in pool:
                pool.append(candidate)
        # stable sort: equal scores keep their order (older first), none lost
        pool.sort(key=lambda c: -self.scores[c])
        self.top_k_candidates = pool[:self.top_k]
        self._epoch += 1
        self._iter = self._epoch
        best = self.top_k_candidates[0]
        self.runner.logger.info(
            f'generation [{self._epoch}/{self._max_epochs}] best '
            f'{self.score_key} {self.scores[best]:.4f}, FLOPs '
            f'{self.table.flops_of(self._as_dict(best)):,}, params '
            f'{self.table.params_of(self._as_dict(best)):,}, '
            f'{len(self.scores)} candidates scored so far, subnet {list(best)}')
        self.population = self._next_population()
        self._save_state()

    # ---------------------------------------------------------- sampling
    def _resources_ok(self, candidate: Candidate) -> bool:
        choices = self._as_dict(candidate)
        return (_in_range(self.table.flops_of(choices), self.flops_range)
                and _in_range(self.table.params_of(choices),
                              self.params_range))

    def _is_new(self, candidate: Candidate, taken) -> bool:
        return (candidate not in self.scores and candidate not in taken
                and candidate not in self.top_k_candidates)

    def _check_feasible(self) -> None:
        """Fail at once when the budget lies outside every path's cost."""
        for name, bounds, table, fixed in (
                ('flops_range', self.flops_range, self.table.flops,
                 self.table.fixed_flops),
                ('params_range', self.params_range, self.table.params,
                 self.table.fixed_params)):
            if bounds is None:
                continue
            low = fixed + sum(min(v.values()) for v in table.values())
            high = fixed + sum(max(v.values()) for v in table.values())
            if ((bounds[0] is not None and bounds[0] > high)
                    or (bounds[1] is not None and bounds[1] < low)):
                raise SearchConstraintError(
                    f'{name}={tuple(bounds)} cannot be met: the paths of '
                    f'this search space cost between {low:,} and {high:,} '
                    f'(input_shape {self.input_shape}, convention '
                    f'{self.flops_convention!r})')

    def _no_candidate_message(self) -> str:
        return (f'no candidate within flops_range={self.flops_range} and '
                f'params_range={self.params_range} was found in '
                f'{self.num_candidates * self.max_tries_factor} random draws '
                f'(input_shape {self.input_shape}); widen the ranges or '
                f'raise max_tries_factor')

    def _fill_population(self) -> None:
        """Top the population up with uniformly sampled, valid, new paths."""
        wanted = self.num_candidates - len(self.population)
        if wanted <= 0:
            self.population = self.population[:self.num_candidates]
            return
        taken = set(self.population)
        added = 0
        for _ in range(wanted * self.max_tries_factor):
            if added == wanted:
                break
            candidate = self._as_candidate(
                self.mutator.sample_choices(self.rng))
            if self._is_new(candidate, taken) and \
                    self._resources_ok(candidate):
                self.population.append(candidate)
                taken.add(candidate)
                added += 1
        if added < wanted:
            self.runner.logger.warning(
                f'generation {self._epoch + 1}: only {added} of {wanted} '
                f'random candidates found new and within budget in '
                f'{wanted * self.max_tries_factor} tries')

    def _breed(self, wanted: int, make_child, what: str,
               taken: set) -> List[Candidate]:
        """Up to ``wanted`` new, within-budget children of ``make_child``."""
        children: List[Candidate] = []
        if wanted == 0 or not self.top_k_candidates:
            return children
        for _ in range(wanted * self.max_tries_factor):
            if len(children) == wanted:
                break
            child = make_child()
            if self._is_new(child, taken) and self._resources_ok(child):
                children.append(child)
                taken.add(child)
        if len(children) < wanted:
            self.runner.logger.info(
                f'generation {self._epoch}: {len(children)} of {wanted} '
                f'{what} found new and within budget in '
                f'{wanted * self.max_tries_factor} tries')
        return children

    def _next_population(self) -> List[Candidate]:
        """Mutations then crossovers of the top-k, all new and distinct."""
        names = list(self.choices.values())
        rng = self.rng

        def mutate():
            parent = rng.choice(self.top_k_candidates)
            return tuple(
                rng.choice(names[i]) if rng.random() < self.mutate_prob
                else gene for i, gene in enumerate(parent))

        def cross():
            first = rng.choice(self.top_k_candidates)
            second = rng.choice(self.top_k_candidates)
            return tuple(rng.choice((a, b)) for a, b in zip(first, second))

        taken: set = set()
        mutations = self._breed(self.num_mutation, mutate, 'mutations', taken)
        crossovers = self._breed(self.num_crossover, cross, 'crossovers',
                                 taken)
        return mutations + crossovers

    # ----------------------------------------------------------- scoring
    def _recalibrate(self) -> None:
        """Re-estimate BN on the calibration images (the same every time)."""
        if self.calibrate_dataloader is None or self.calibrate_samples <= 0:
            if self._calibration_batches is None:
                self._calibration_batches = []
                self.runner.logger.warning(
                    'evolution search: no calibrate_dataloader, BN '
                    'statistics are not re-estimated per candidate')
            return
        if self._calibration_batches is None:
            self._calibration_batches = [
                self._cached(b) if self.cache_data else b
                for b in calibration_batches(self.calibrate_dataloader,
                                             self.calibrate_samples,
                                             self.seed)]
        # called on every rank, even one with no batch: it all-reduces
        recalibrate_bn(self.model, self._calibration_batches,
                       self._logits)

    def _logits(self, batch: dict) -> torch.Tensor:
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
        return model(batch['inputs'], batch.get('data_samples'),
                     mode='predict')

    def _cached(self, batch: dict) -> dict:
        """``batch`` as the cache keeps it (see ``cache_data``)."""
        batch = self._on_device(batch)
        if self.cache_data != 'preprocessed':
            return batch
        data = self.model.data_preprocessor(batch, False)
        return {'inputs': data['inputs'],
                'data_samples': data.get('data_samples'), PREPROCESSED: True}

    def _on_device(self, batch: dict) -> dict:
        """``batch`` with its images moved to the model's device, once.

        Same-sized images are stacked into one uint8 tensor: the data
        preprocessor then flips and normalises the batch in a few ops
        instead of a few per image (the same values; it was ~3 % of a
        candidate on the CPU).
        """
        device = next(self.model.parameters()).device
        inputs = batch['inputs']
        if isinstance(inputs, (list, tuple)):
            if inputs and all(x.shape == inputs[0].shape for x in inputs):
                inputs = torch.stack(list(inputs))
            else:
                inputs = [x.to(device, non_blocking=True) for x in inputs]
        if isinstance(inputs, torch.Tensor):
            inputs = inputs.to(device, non_blocking=True)
        return dict(batch, inputs=inputs)

    def _search_batches(self):
        """This rank's search batches; loaded and moved once if cached."""
        if not self.cache_data:
            return self.dataloader
        if self._search_cache is None:
            self._search_cache = [self._cached(b) for b in self.dataloader]
        return self._search_cache

    def _accuracy_counter(self) -> Optional[DeviceAccuracy]:
        """The on-device accuracy counter, or None to use the evaluator."""
        if not self._device_accuracy_decided:
            self._device_accuracy_decided = True
            if self.use_device_accuracy:
                counter, why = device_accuracy_for(self.evaluator, self.model,
                                                   self.dataloader)
                self._device_accuracy = counter
                self.runner.logger.info(
                    'evolution search: top-k accuracy counted on the device'
                    if counter is not None else
                    f'evolution search: scoring through the evaluator ({why})')
        return self._device_accuracy

    def _labelled_search_batches(self):
        """``(batch, labels)`` pairs of this rank's search split."""
        if not self.cache_data:
            return ((b, DeviceAccuracy.labels(b)) for b in self.dataloader)
        batches = self._search_batches()
        if self._search_labels is None:
            self._search_labels = [
                DeviceAccuracy.labels(b).to(
                    next(self.model.parameters()).device) for b in batches]
        return zip(batches, self._search_labels)

    def _validate(self) -> dict:
        """Metrics of the active path on the search split."""
        counter = self._accuracy_counter()
        if counter is not None:
            counter.reset()
            with torch.inference_mode():
                for data_batch, labels in self._labelled_search_batches():
                    counter.process(self._logits(data_batch), labels)
            return counter.compute()
        with torch.inference_mode():
            for data_batch in self._search_batches():
                outputs = self._predict(data_batch)
                self.evaluator.process(data_samples=outputs,
                                       data_batch=data_batch)
        return self.evaluator.evaluate(len(self.dataloader.dataset))

    def score_candidate(self, candidate: Candidate) -> float:
        """Recalibrate BN for ``candidate`` and return its ``score_key``."""
        self.mutator.set_choices(self._as_dict(candidate))
        self.model.eval()
        self._recalibrate()
        metrics = self._validate()
        if self.score_key not in metrics:
            raise KeyError(f'score_key {self.score_key!r} is not among the '
                           f'metrics {sorted(metrics)}')
        self.evaluated.append(candidate)
        return float(metrics[self.score_key])

    # ----------------------------------------------------------- outputs
    def _save_state(self) -> None:
        if not is_main_process():
            return
        work_dir = self.runner.work_dir
        atomic_torch_save(self.state_dict(),
                          osp.join(work_dir,
                                   f'search_epoch_{self._epoch}.pth'))
        atomic_write_text(self._top_k_table(),
                          osp.join(work_dir, 'search_top_k.txt'))

    def _top_k_table(self) -> str:
        lines = [f'# generation {self._epoch}/{self._max_epochs}, '
                 f'score {self.score_key}, FLOPs at input '
                 f'{self.input_shape} ({self.flops_convention}), '
                 f'decisions {list(self.choices)}',
                 f'{"rank":>4}  {"score":>10}  {"FLOPs":>15}  '
                 f'{"params":>12}  subnet']
        for rank, candidate in enumerate(self.top_k_candidates, 1):
            choices = self._as_dict(candidate)
            lines.append(
                f'{rank:>4}  {self.scores[candidate]:>10.4f}  '
                f'{self.table.flops_of(choices):>15,}  '
                f'{self.table.params_of(choices):>12,}  '
                f'{" ".join(candidate)}')
        return '\n'.join(lines) + '\n'

    def _finish(self) -> None:
        """Export the best candidate: subnet yaml and its sliced weights."""
        if not self.top_k_candidates:
            raise SearchConstraintError(self._no_candidate_message())
        best = self.top_k_candidates[0]
        self.mutator.set_choices(self._as_dict(best))
        # the exported weights carry BN statistics of the best path itself
        self.model.eval()
        self._recalibrate()
        fix_subnet = OrderedDict(
            (path, value['chosen'])
            for path, value in self.mutator.export_subnet().items())
        self.runner.logger.info(
            f'search done: best {self.score_key} {self.scores[best]:.4f}, '
            f'subnet {dict(fix_subnet)}')
        if is_main_process():
            self._write_result(best, fix_subnet)
        barrier()  # the files exist on every rank's return

    def _write_result(self, best: Candidate, fix_subnet) -> None:
        from mmrazor_lite.subnet.subnet_file import dump_subnet_file
        work_dir = self.runner.work_dir
        dump_subnet_file(fix_subnet, osp.join(work_dir,
                                              'best_fix_subnet.yaml'))
        atomic_torch_save(
            dict(state_dict=self.sliced_state_dict(),
                 meta=dict(fix_subnet=dict(fix_subnet),
                           score=float(self.scores[best]),
                           score_key=self.score_key,
                           supernet_checkpoint=self.supernet_checkpoint)),
            osp.join(work_dir, 'best_subnet_weights.pth'))

    def sliced_state_dict(self) -> 'OrderedDict[str, torch.Tensor]':
        """The model's state dict without the unchosen candidates' weights."""
        model = self.model
        names = {id(m): n for n, m in model.named_modules()}
        dropped = []
        for members in self.mutator.search_groups.values():
            for _, mutable in members:
                prefix = names[id(mutable)] + '._candidates.'
                for other in mutable.choices:
                    if other != mutable.current_choice:
                        dropped.append(prefix + other + '.')
        return OrderedDict(
            (key, value.detach().cpu().clone())
            for key, value in model.state_dict().items()
            if not any(key.startswith(p) for p in dropped))
