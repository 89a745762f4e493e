"""What every search loop of a one-shot supernet shares, whatever it
breeds or keeps: generations as mmengine epochs, candidates as tuples of
choice names, their costs from the tables, the saved state and resume.

Subclasses (:class:`EvolutionSearchLoop` and, through it,
:class:`ParetoSearchLoop`) set,
in ``__init__``: ``_max_epochs``, ``rng``, ``seed``, ``settings``,
``scorer``, ``budget``, ``records`` (in ``_setup``), ``population``,
``top_k_candidates``, ``scores``, ``supernet_checkpoint`` /
``supernet_sha256``, ``resume_from``, ``input_shape``,
``flops_convention``, ``latency_table_file``; and run :meth:`_setup_tables`
in their ``_setup``.
"""
from collections import OrderedDict
from typing import NamedTuple, Optional

from mmengine.dist import is_main_process
from mmengine.model import is_model_wrapper
from mmengine.runner.base_loop import BaseLoop

from mmrazor_lite.estimators.resource_table import ResourceTable
from . import evolution_operators as ops
from . import search_settings, search_state
from .evolution_operators import Candidate


class Costs(NamedTuple):
    """A candidate's costs by the tables: FLOPs, params and, when the
    search has a latency table, predicted latency in ms (else None)."""
    flops: int
    params: int
    latency_ms: Optional[float] = None


class BaseSearchLoop(BaseLoop):
    """Generation bookkeeping of a search loop (see the module docstring).

    ``resumes_own_state``: ``tools/train.py --resume`` sets
    ``resume_from``, not mmengine's resume.
    """

    resumes_own_state = True

    @property
    def max_epochs(self) -> int:
        return self._max_epochs

    max_iters = max_epochs

    @property
    def epoch(self) -> int:
        return self._epoch

    iter = epoch

    @property
    def model(self):
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    @property
    def mutator(self):
        return self.model.mutator

    def as_choices(self, candidate: Candidate) -> 'OrderedDict[str, str]':
        """``candidate`` as decision key -> choice name."""
        return OrderedDict(zip(self.choices, candidate))

    def run(self):
        self._setup()
        self.runner.call_hook('before_train')
        while self._epoch < self._max_epochs:
            self.run_epoch()
        self._finish()
        self.runner.call_hook('after_train')
        return self.runner.model

    def _setup_tables(self) -> None:
        """The FLOPs / params table (and the latency table, when given),
        then fail at once when no path can meet the budget."""
        self.table = ResourceTable(self.model.architecture, self.mutator,
                                   self.input_shape, self.flops_convention)
        self.latency_table = None
        if self.latency_table_file is not None:
            from mmrazor_lite.estimators.latency_table import LatencyTable
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

    def _seen(self) -> ops.SeenCandidates:  # scored or kept: not again
        return ops.SeenCandidates(self.scores, self.top_k_candidates)

    def _costs(self, candidate: Candidate) -> Costs:
        choices = self.as_choices(candidate)
        latency = None if self.latency_table is None else \
            float(self.latency_table.latency_of(choices))
        return Costs(self.table.flops_of(choices),
                     self.table.params_of(choices), latency)

    def _cost_label(self) -> str:
        return (f'FLOPs at input {self.input_shape} '
                f'({self.flops_convention})')

    def state_dict(self, generation: Optional[int] = None) -> dict:
        """The search state after ``generation`` generations (default: the
        loop's epoch), plain python only (``weights_only`` loadable)."""
        return search_state.pack_state(
            self._epoch if generation is None else generation,
            self.choices, self.population, self.top_k_candidates,
            self.scores, self.rng, seed=self.seed,
            score_generations=self.records.state_dict(self.scores),
            max_epochs=self._max_epochs, settings=self.settings,
            supernet_checkpoint=self.supernet_checkpoint,
            supernet_sha256=self.supernet_sha256)

    def load_state_dict(self, state: dict) -> None:
        """Continue from ``state`` if this search wrote it (else raise:
        :func:`.search_settings.check_resume`); load its supernet if none."""
        given = self.supernet_checkpoint
        self.supernet_checkpoint, self.supernet_sha256 = \
            search_settings.check_resume(
                state, self.resume_from, self.settings, self._max_epochs,
                given, self.runner.logger)
        (self._epoch, self.population, self.top_k_candidates,
         self.scores) = search_state.unpack_state(state, self.choices,
                                                  self.rng)
        self.records.load_state_dict(self.scores,
                                     state.get('score_generations'))
        # a drawn seed (seed=None) is the saved one: same calibration images
        self.seed = self.scorer.seed = int(state['seed'])
        if given is None and self.supernet_checkpoint:
            self.runner.load_checkpoint(self.supernet_checkpoint)
        self.runner.logger.info(f'resume: search state {self.resume_from} '
                                f'(generation {self._epoch})')

    def _save_state(self, done: int) -> None:
        if not is_main_process():
            return
        search_state.save_state(self.state_dict(done), self.runner.work_dir)
        self.records.write_top_k(f'generation {done}/{self._max_epochs}',
                                 self.top_k_candidates, self.scores)
