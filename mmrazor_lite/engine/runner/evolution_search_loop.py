"""SPOS stage 2: evolutionary search of a trained supernet, as a train loop.

``train_cfg=dict(type='EvolutionSearchLoop', ...)``, run by ``tools/train.py
CONFIG --cfg-options load_from=SUPERNET_CKPT``. A generation is an mmengine
epoch (epoch hooks run around each, train hooks around the search). It
fills the population with random paths, scores the new ones
(:class:`CandidateScorer`: BN re-estimated, no path scored twice), keeps the
``top_k`` best and breeds the next population from them
(:mod:`mmrazor_lite.engine.search.evolution_operators`), rejecting children
over the budget (:class:`ResourceBudget`) or already seen.

Files, from rank 0: ``search_epoch_{N}.pth`` (``engine/search/state.py``),
the records (``engine/search/records.py``), at the end the result
(``structures/search_result.py``). Progress lines:
``engine/search/progress.py``. ``resume_from`` (``--resume``) restores RNG,
population, top-k and scores of the same search (else refused,
``engine/search/settings.py``): it ends as an uninterrupted one. Every rank
makes the same decisions and scores.
"""
from typing import List, Optional, Sequence, Union

from mmengine.dist import barrier, is_main_process
from mmengine.evaluator import Evaluator
from torch.utils.data import DataLoader

from mmrazor_lite.engine.optimizers import use_stepless_optim_wrapper
from mmrazor_lite.engine.search import (Candidate, ScorePredictor,
                                        SearchProgress)
from mmrazor_lite.engine.search import evolution_operators as evolution
from mmrazor_lite.estimators.resource_budget import SearchConstraintError
from mmrazor_lite.registry import LOOPS
from mmrazor_lite.structures.search_result import write_search_result
from mmrazor_lite.subnet.subnet_weights import sliced_state_dict
from .base_search_loop import BaseSearchLoop

__all__ = ['EvolutionSearchLoop', 'SearchConstraintError']


@LOOPS.register_module()
class EvolutionSearchLoop(BaseSearchLoop):
    """Evolutionary search of a one-shot supernet (see the module docstring).

    Args:
        runner (Runner): The mmengine runner.
        dataloader (DataLoader | dict): The search split, scored.
        evaluator (dict | list | Evaluator): The metric of a path, e.g.
            ``dict(type='Accuracy')``.
        calibrate_dataloader (DataLoader | dict, optional): The data that
            re-estimates BN for each path. Defaults to None
            (``train_dataloader``).
        calibrate_samples (int): Images that re-estimate BN. Defaults to
            1024.
        max_epochs (int): Generations. Defaults to 20.
        num_candidates (int): Population size. Defaults to 50.
        top_k (int): Candidates kept as parents. Defaults to 10.
        num_mutation (int): Mutated children per generation. Defaults to
            25.
        num_crossover (int): Crossed-over children per generation.
            Defaults to 25.
        mutate_prob (float): Chance that a mutant re-draws each block.
            Defaults to 0.1.
        max_tries_factor (int): At most this many draws per child wanted.
            Defaults to 10.
        flops_range (Sequence, optional): FLOPs budget, ``max`` or
            ``(min, max)``, see :class:`ResourceBudget`. Defaults to None.
        params_range (Sequence, optional): Parameter budget, as
            ``flops_range``. Defaults to None.
        latency_range (Sequence, optional): Latency budget in ms, by
            ``latency_table``. Defaults to None.
        latency_table (str, optional): The JSON file of
            ``tools/analysis_tools/build_latency_table.py``, needed by
            ``latency_range``. Defaults to None.
        predictor (dict, optional): ``dict(type=, warmup=, oversample=)``:
            score only the best predicted children
            (:class:`ScorePredictor`). Defaults to None.
        input_shape (Sequence[int]): The input of the FLOPs table.
            Defaults to ``(1, 3, 224, 224)``.
        flops_convention (str): How FLOPs are counted, see
            :class:`ResourceTable`. Defaults to ``'fvcore'``.
        score_key (str): The metric that ranks paths. Defaults to
            ``'accuracy/top1'``.
        seed (int, optional): Seed of the search RNG. Defaults to None
            (drawn on rank 0).
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
                 latency_range: Optional[Sequence] = None,
                 latency_table: Optional[str] = None,
                 predictor: Optional[dict] = None,
                 input_shape: Sequence[int] = (1, 3, 224, 224),
                 flops_convention: str = 'fvcore',
                 score_key: str = 'accuracy/top1',
                 seed: Optional[int] = None,
                 cache_data: Union[bool, str] = True,
                 device_accuracy: bool = True,
                 resume_from: Optional[str] = None,
                 overwrite: bool = False):
        evolution.check_settings(
            num_mutation,
            num_crossover,
            mutate_prob,
            max_epochs=max_epochs,
            top_k=top_k,
            num_candidates=num_candidates,
            max_tries_factor=max_tries_factor)
        own_settings = dict(
            num_candidates=num_candidates,
            top_k=top_k,
            num_mutation=num_mutation,
            num_crossover=num_crossover,
            mutate_prob=mutate_prob,
            max_tries_factor=max_tries_factor,
            predictor=predictor)
        score_predictor = ScorePredictor.build(predictor)  # checked first
        super().__init__(
            runner,
            dataloader,
            evaluator,
            own_settings,
            calibrate_dataloader=calibrate_dataloader,
            calibrate_samples=calibrate_samples,
            max_epochs=max_epochs,
            flops_range=flops_range,
            params_range=params_range,
            latency_range=latency_range,
            latency_table=latency_table,
            input_shape=input_shape,
            flops_convention=flops_convention,
            score_key=score_key,
            seed=seed,
            cache_data=cache_data,
            device_accuracy=device_accuracy,
            resume_from=resume_from,
            overwrite=overwrite)
        self.top_k = int(top_k)
        self.num_candidates = int(num_candidates)
        self.num_mutation, self.num_crossover = (int(num_mutation),
                                                 int(num_crossover))
        self.mutate_prob = float(mutate_prob)
        self.max_tries_factor = int(max_tries_factor)
        self.predictor = score_predictor
        self.evaluated: List[Candidate] = []  # scored here, in order
        self.progress = SearchProgress(runner, self._max_epochs,
                                       self.num_candidates, score_key)
        use_stepless_optim_wrapper(runner)  # a search takes no step

    def _setup(self) -> None:
        """Restore a saved state, build the resource table, check budget."""
        super()._setup()
        self.runner.logger.info(
            f'evolution search: {self._max_epochs} generations, population '
            f'{self.num_candidates}, top-k {self.top_k}, '
            f'{self.num_mutation} mutations + {self.num_crossover} '
            f'crossovers, {self.budget.describe()}, starting after '
            f'generation {self._epoch}')

    def run_epoch(self) -> None:
        """One generation: fill, score, select, breed, save."""
        self.runner.call_hook('before_train_epoch')
        done = self._epoch + 1  # generations done, this one included
        names = list(self.choices.values())
        self.population, short = evolution.fill_population(
            self.population, self.num_candidates, names, self.rng,
            self._allowed, self._seen(), self.max_tries_factor)
        self.progress.log_shortfall(done, short, self.max_tries_factor)
        if not self.population and not self.top_k_candidates:
            raise self.budget.nothing_found(
                self.num_candidates * self.max_tries_factor, self.input_shape)
        new = [c for c in self.population if c not in self.scores]
        self.progress.start_generation(done, len(new))
        for candidate in new:
            with self.progress.candidate(self.scorer, self.scores):
                self.scores[candidate] = self.score_candidate(candidate)
                self.records.scored(candidate, done, self.scores)
        self.top_k_candidates = self._select_parents()
        self.progress.generation_done(done, self.population,
                                      self.top_k_candidates, self.scores,
                                      self._costs)
        self.population, short = self._breed(names)
        self.progress.log_shortfall(done, short, self.max_tries_factor)
        self._save_state(done)
        # as in mmengine's loops, the hook sees the epoch index just run
        self.runner.call_hook('after_train_epoch')
        self._epoch = done

    def score_candidate(self, candidate: Candidate) -> float:
        """Re-estimate BN for ``candidate`` and score it.

        Args:
            candidate (Candidate): One choice name per decision.

        Returns:
            float: Its ``score_key`` on the search split.
        """
        score = self.scorer.score(self.as_choices(candidate))
        self.evaluated.append(candidate)
        return score

    def _select_parents(self) -> List[Candidate]:
        """The ``top_k`` best of the kept and the population, by score."""
        return evolution.select_top_k(self.top_k_candidates, self.population,
                                      self.scores, self.top_k)

    def _mating_pool(self) -> List[Candidate]:
        """The parents children are drawn from, uniformly (a candidate
        listed twice is drawn twice as often): the kept top-k."""
        return list(self.top_k_candidates)

    def _breed(self, names):
        """``(children, short)``: the next population, bred from
        :meth:`_mating_pool` (see :func:`.evolution_operators.breed`). A
        predictor past its warm-up screens ``oversample`` times as many."""
        times = self.predictor.oversampling(len(self.scores)) \
            if self.predictor else 1
        children, short = evolution.breed(self._mating_pool(), names, self.rng,
                                          times * self.num_mutation,
                                          times * self.num_crossover,
                                          self.mutate_prob, self._allowed,
                                          self._seen(), self.max_tries_factor)
        if times == 1:  # before the warm-up: the plain search's draws
            return children, short
        wanted = self.num_mutation + self.num_crossover
        kept = self._rank_by_prediction(
            children,
            self.predictor.predict(self.scores, children, self.choices,
                                   self.seed))[:wanted]
        self.runner.logger.info(
            f'predictor {self.predictor.type} (fit on {len(self.scores)} '
            f'scores): {len(kept)} best predicted of {len(children)} bred')
        return kept, (short if len(kept) < wanted else [])

    def _rank_by_prediction(self, children: List[Candidate],
                            predicted: dict) -> List[Candidate]:
        """``children`` best first by ``predicted`` (candidate -> predicted
        score); ties keep the breeding order."""
        return sorted(children, key=lambda c: -predicted[c])

    def _finish(self) -> None:
        """Export the best candidate: subnet yaml and its sliced weights."""
        if not self.top_k_candidates:
            raise self.budget.nothing_found(
                self.num_candidates * self.max_tries_factor, self.input_shape)
        best = self.top_k_candidates[0]
        # the exported weights carry BN statistics of the best path itself
        self.scorer.activate(self.as_choices(best))
        fix_subnet = self.mutator.current_subnet()
        self.runner.logger.info(
            f'search done: best {self.score_key} {self.scores[best]:.4f}, '
            f'subnet {dict(fix_subnet)}')
        if is_main_process():
            write_search_result(
                self.runner.work_dir, fix_subnet,
                sliced_state_dict(self.model, self.mutator.mutables),
                dict(
                    score=float(self.scores[best]),
                    score_key=self.score_key,
                    supernet_checkpoint=self.supernet_checkpoint))
            self.records.draw_pareto(
                self.scores, self.top_k_candidates, self.budget.flops_range,
                f'{len(self.scores)} candidates in {self._epoch} '
                f'generations, {self.budget.describe()}')
        barrier()  # the files exist on every rank's return
