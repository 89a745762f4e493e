"""What every search loop of a one-shot supernet shares, whatever it
breeds or keeps: generations as mmengine epochs, candidates as tuples of
choice names, their scorer and costs, the saved state and resume.

:class:`BaseSearchLoop` takes every argument these depend on in its
``__init__``; a subclass (:class:`EvolutionSearchLoop` and, through it,
:class:`ParetoSearchLoop`) passes them on with the settings of its own
arguments and implements :meth:`run_epoch` (one generation) and
:meth:`_finish` (the result files).
"""
import random
from collections import OrderedDict
from typing import List, Mapping, NamedTuple, Optional, Sequence, Union

from mmengine.dist import is_main_process, sync_random_seed
from mmengine.evaluator import Evaluator
from mmengine.runner.base_loop import BaseLoop
from torch.utils.data import DataLoader

from mmrazor_lite.engine.search import (Candidate, CandidateScorer,
                                        SearchRecords, SeenCandidates,
                                        check_supernet_checkpoint,
                                        on_every_rank)
from mmrazor_lite.engine.search import state as search_state
from mmrazor_lite.engine.search.settings import (check_resume, file_sha256,
                                                 search_settings)
from mmrazor_lite.estimators.latency_table import LatencyTable
from mmrazor_lite.estimators.resource_budget import ResourceBudget
from mmrazor_lite.estimators.resource_table import ResourceTable
from mmrazor_lite.structures.architecture_meta import unwrap_model


class Costs(NamedTuple):
    """A candidate's costs by the tables: FLOPs, params and, when the
    search has a latency table, predicted latency in ms (else None)."""
    flops: int
    params: int
    latency_ms: Optional[float] = None


class BaseSearchLoop(BaseLoop):
    """Generation bookkeeping of a search loop (see the module docstring).

    The arguments are those of every search: what is scored and how, the
    budget, the seed and resume. A subclass adds its own and passes their
    values in ``own_settings``, so that a resume of another search is
    refused (:func:`~mmrazor_lite.engine.search.settings.check_resume`).
    ``tools/train.py --resume`` sets ``resume_from`` (the loop declares
    ``resumes_own_state``), not mmengine's resume.

    Args:
        runner (Runner): The mmengine runner.
        dataloader (DataLoader | dict): The search split, scored.
        evaluator (dict | list | Evaluator): The metric of a path, e.g.
            ``dict(type='Accuracy')``.
        own_settings (Mapping): The subclass's arguments that change the
            answer, name -> value as configured (recorded as
            ``train_cfg.NAME``).
        calibrate_dataloader (DataLoader | dict, optional): The data that
            re-estimates BN for each path. Defaults to None
            (``train_dataloader``).
        calibrate_samples (int): Images that re-estimate BN. Defaults to
            1024.
        max_epochs (int): Generations. Defaults to 20.
        flops_range (Sequence, optional): FLOPs budget, ``max`` or
            ``(min, max)``, see :class:`ResourceBudget`. Defaults to None.
        params_range (Sequence, optional): Parameter budget, as
            ``flops_range``. Defaults to None.
        latency_range (Sequence, optional): Latency budget in ms, by
            ``latency_table``. Defaults to None.
        latency_table (str, optional): The JSON file of
            ``tools/analysis_tools/build_latency_table.py``, needed by
            ``latency_range``. Defaults to None.
        input_shape (Sequence[int]): The input of the FLOPs table.
            Defaults to ``(1, 3, 224, 224)``.
        flops_convention (str): How FLOPs are counted, see
            :class:`ResourceTable`. Defaults to ``'fvcore'``.
        score_key (str): The metric that ranks paths. Defaults to
            ``'accuracy/top1'``.
        seed (int, optional): Seed of the search RNG and of the
            calibration images. Defaults to None (drawn on rank 0).
        cache_data (bool | str): Keep the preprocessed batches, see
            :class:`CandidateScorer`. Defaults to True.
        device_accuracy (bool): Count correct predictions on the device,
            see :class:`CandidateScorer`. Defaults to True.
        resume_from (str, optional): A ``search_epoch_{N}.pth`` to
            continue, or ``'auto'`` for the latest one in the work dir.
            Defaults to None.
        overwrite (bool): Delete an earlier search's files from the work
            dir; without it a fresh search there is refused. Defaults to
            False.
    """

    resumes_own_state = True

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, dict],
                 evaluator: Union[dict, list, Evaluator],
                 own_settings: Mapping,
                 calibrate_dataloader: Union[DataLoader, dict, None] = None,
                 calibrate_samples: int = 1024,
                 max_epochs: int = 20,
                 flops_range: Optional[Sequence] = None,
                 params_range: Optional[Sequence] = None,
                 latency_range: Optional[Sequence] = None,
                 latency_table: Optional[str] = None,
                 input_shape: Sequence[int] = (1, 3, 224, 224),
                 flops_convention: str = 'fvcore',
                 score_key: str = 'accuracy/top1',
                 seed: Optional[int] = None,
                 cache_data: Union[bool, str] = True,
                 device_accuracy: bool = True,
                 resume_from: Optional[str] = None,
                 overwrite: bool = False):
        # what the answer depends on: how to run (cache_data,
        # device_accuracy, 1 or N processes give the same scores, tested),
        # how long (max_epochs, checked apart) and where from (resume_from,
        # overwrite) are not settings
        settings = dict(
            dataloader=dataloader,
            evaluator=evaluator,
            calibrate_dataloader=calibrate_dataloader,
            calibrate_samples=calibrate_samples,
            flops_range=flops_range,
            params_range=params_range,
            latency_range=latency_range,
            latency_table=latency_table,
            input_shape=input_shape,
            flops_convention=flops_convention,
            score_key=score_key,
            seed=seed,
            **own_settings)
        super().__init__(runner, dataloader)
        search_state.check_runner_config(runner.cfg)
        self.supernet_checkpoint = runner.cfg.get('load_from')
        if self.supernet_checkpoint:  # before any file is written
            check_supernet_checkpoint(self.model, self.supernet_checkpoint,
                                      type(self).__name__)
        self._max_epochs = int(max_epochs)
        self.budget = ResourceBudget(flops_range, params_range, latency_range)
        self.latency_table_file = latency_table
        self.input_shape = tuple(input_shape)
        self.flops_convention, self.score_key = flops_convention, score_key
        self.seed = int(seed) if seed is not None else sync_random_seed()
        self.rng = random.Random(self.seed)
        self.settings = search_settings(settings, runner.cfg,
                                        self.budget.state_dict())
        self.scorer = CandidateScorer.from_runner(
            runner,
            self.model,
            self.dataloader,
            evaluator,
            calibrate_dataloader,
            calibrate_samples=calibrate_samples,
            seed=self.seed,
            score_key=score_key,
            cache_data=cache_data,
            device_accuracy=device_accuracy)
        self._epoch = 0  # generations done (mmengine's epoch index)
        self.population: List[Candidate] = []
        self.top_k_candidates: List[Candidate] = []
        self.scores: 'OrderedDict[Candidate, float]' = OrderedDict()
        self.resume_from = search_state.claim_work_dir(runner.work_dir,
                                                       resume_from, overwrite,
                                                       runner.logger)
        self.supernet_sha256 = None if self.resume_from else \
            file_sha256(self.supernet_checkpoint)
        # set by _setup, once the mutator's decisions are known
        self.choices: 'OrderedDict[str, list]' = OrderedDict()
        self.records: Optional[SearchRecords] = None
        self.table: Optional[ResourceTable] = None
        self.latency_table: Optional[LatencyTable] = None

    @property
    def max_epochs(self) -> int:
        """The number of generations (also read as ``max_iters``)."""
        return self._max_epochs

    max_iters = max_epochs

    @property
    def epoch(self) -> int:
        """The generations done so far (also read as ``iter``)."""
        return self._epoch

    iter = epoch

    @property
    def model(self):
        """The searched algorithm, without its DDP wrapper."""
        return unwrap_model(self.runner.model)

    @property
    def mutator(self):
        """The mutator of the searched algorithm."""
        return self.model.mutator

    def as_choices(self, candidate: Candidate) -> 'OrderedDict[str, str]':
        """Map ``candidate`` to decision key -> choice name.

        Args:
            candidate (Candidate): One choice name per decision, in the
                order of :attr:`choices`.

        Returns:
            OrderedDict[str, str]: Decision key -> choice name.
        """
        return OrderedDict(zip(self.choices, candidate))

    def run(self):
        """Run the search: set up, one epoch per generation, the result.

        Returns:
            nn.Module: The runner's model, as mmengine's loops return it.
        """
        self._setup()
        self.runner.call_hook('before_train')
        while self._epoch < self._max_epochs:
            self.run_epoch()
        self._finish()
        self.runner.call_hook('after_train')
        return self.runner.model

    def _setup(self) -> None:
        """Restore a saved state, build the cost tables, check the budget.

        A subclass that extends it calls it first.
        """
        self.choices = self.mutator.choices
        self.records = SearchRecords(self.runner.work_dir, self.score_key,
                                     list(self.choices), self._costs,
                                     self._cost_label())
        if self.resume_from is not None:  # refused on every rank or none
            on_every_rank(lambda: self.load_state_dict(
                search_state.load_search_state(self.resume_from)))
        search_state.check_supernet_weights(self.supernet_checkpoint,
                                            self.runner.cfg)
        self._setup_tables()
        self.records.write(self.scores)  # the resumed state's, or a header

    def run_epoch(self) -> None:
        """One generation; ends with :meth:`_save_state`."""
        raise NotImplementedError

    def _finish(self) -> None:
        """Write the result files of the search."""
        raise NotImplementedError

    def _setup_tables(self) -> None:
        """The FLOPs / params table (and the latency table, when given),
        then fail at once when no path can meet the budget."""
        self.table = ResourceTable(self.model.architecture, self.mutator,
                                   self.input_shape, self.flops_convention)
        self.latency_table = None
        if self.latency_table_file is not None:
            self.latency_table = LatencyTable.load(self.latency_table_file)
            self.latency_table.check_matches(
                self.choices, f'train_cfg.latency_table='
                f'{self.latency_table_file!r}')
            # the table's device, batch and threads are what it predicts
            self.runner.logger.info(
                f'latency budget by {self.latency_table.describe()}')
        self.budget.check_feasible(self.table, self.latency_table)

    def _allowed(self, candidate: Candidate) -> bool:
        return self.budget.allows(self.table, self.as_choices(candidate),
                                  self.latency_table)

    def _seen(self) -> SeenCandidates:  # scored or kept: not again
        return SeenCandidates(self.scores, self.top_k_candidates)

    def _costs(self, candidate: Candidate) -> Costs:
        choices = self.as_choices(candidate)
        latency = None if self.latency_table is None else \
            float(self.latency_table.latency_of(choices))
        return Costs(
            self.table.flops_of(choices), self.table.params_of(choices),
            latency)

    def _cost_label(self) -> str:
        return (f'FLOPs at input {self.input_shape} '
                f'({self.flops_convention})')

    def state_dict(self, generation: Optional[int] = None) -> dict:
        """The search state after ``generation`` generations.

        The state holds plain python only, so ``torch.load(weights_only=
        True)`` reads it.

        Args:
            generation (int, optional): The generations the state is after.
                Defaults to None (the loop's epoch).

        Returns:
            dict: The state, as ``search_epoch_{N}.pth`` holds it.
        """
        return search_state.pack_state(
            self._epoch if generation is None else generation,
            self.choices,
            self.population,
            self.top_k_candidates,
            self.scores,
            self.rng,
            seed=self.seed,
            score_generations=self.records.state_dict(self.scores),
            max_epochs=self._max_epochs,
            settings=self.settings,
            supernet_checkpoint=self.supernet_checkpoint,
            supernet_sha256=self.supernet_sha256)

    def load_state_dict(self, saved: dict) -> None:
        """Continue from a saved state if this search wrote it.

        The supernet the state names is loaded when ``load_from`` gives
        none.

        Args:
            saved (dict): A loaded ``search_epoch_{N}.pth``.

        Raises:
            ValueError: The state was written by another search, see
                :func:`~mmrazor_lite.engine.search.settings.check_resume`.
        """
        given = self.supernet_checkpoint
        self.supernet_checkpoint, self.supernet_sha256 = \
            check_resume(
                saved, self.resume_from, self.settings, self._max_epochs,
                given, self.runner.logger)
        (self._epoch, self.population, self.top_k_candidates,
         self.scores) = search_state.unpack_state(saved, self.choices,
                                                  self.rng)
        self.records.load_state_dict(self.scores,
                                     saved.get('score_generations'))
        # a drawn seed (seed=None) is the saved one: same calibration images
        self.seed = self.scorer.seed = int(saved['seed'])
        if given is None and self.supernet_checkpoint:
            check_supernet_checkpoint(self.model, self.supernet_checkpoint,
                                      type(self).__name__)
            self.runner.load_checkpoint(self.supernet_checkpoint)
        self.runner.logger.info(f'resume: search state {self.resume_from} '
                                f'(generation {self._epoch})')

    def _save_state(self, done: int) -> None:
        if not is_main_process():
            return
        search_state.save_state(self.state_dict(done), self.runner.work_dir)
        self.records.write_top_k(f'generation {done}/{self._max_epochs}',
                                 self.top_k_candidates, self.scores)
