"""SPOS stage 2 for every budget at once: an NSGA-II search of a supernet.

The search of a trained supernet runs over two objectives, the score
(maximised) and a cost (minimised: ``objective='flops'``, ``'params'`` or
``'latency'``, the last by ``latency_table``).

``train_cfg=dict(type='ParetoSearchLoop', objective='flops', ...)`` takes
every argument of :class:`EvolutionSearchLoop` and keeps what it does:
generations, scoring (BN re-estimated, no path twice), the budget filter,
mutation and crossover, the saved state and ``--resume``, 1 or N processes
deciding alike. It differs in whom it keeps and breeds from:

- the ``top_k`` kept are NSGA-II's environmental selection from the kept
  and the population: by front rank, then crowding distance
  (:mod:`~mmrazor_lite.engine.search.nsga2_selection`);
- parents are winners of binary tournaments among the kept, on (rank,
  crowding), drawn with the search RNG (the same draws on every rank).

Ranks and crowding distances follow from the saved scores, so the state
file is the single-objective search's (``objective`` is one more recorded
setting: resuming under another one is refused). At the end it writes,
from rank 0:
``pareto_front.yaml`` + ``pareto_front_bn.pth`` (every scored candidate no
other one dominates, see ``structures/pareto_front_file.py``), the
``best_fix_subnet.yaml`` and ``best_subnet_weights.pth`` of the
highest-scoring front member (stage-3 configs use them unchanged) and
``search_pareto.png`` with the front drawn. ``pick_subnet.py`` picks a
member for another budget later without searching again.
"""
import os.path as osp
import time
from typing import Dict, List, Mapping, Sequence

from mmengine.dist import barrier, is_main_process

from mmrazor_lite.engine.config_diff import plain
from mmrazor_lite.engine.search import Candidate
from mmrazor_lite.engine.search import nsga2_selection as nsga
from mmrazor_lite.registry import LOOPS
from mmrazor_lite.structures.pareto_front_file import write_pareto_front
from mmrazor_lite.structures.search_result import write_search_result
from mmrazor_lite.subnet.subnet_weights import sliced_state_dict
from .evolution_search_loop import EvolutionSearchLoop

#: objective -> (the Costs field, its axis label)
OBJECTIVES = {
    'flops': ('flops', 'FLOPs'),
    'params': ('params', 'params'),
    'latency': ('latency_ms', 'latency (ms)')
}


@LOOPS.register_module()
class ParetoSearchLoop(EvolutionSearchLoop):
    """An NSGA-II search over (score, cost); see the module docstring.

    Args:
        runner (Runner): The mmengine runner.
        objective (str): The cost minimised: ``'flops'`` (by the FLOPs
            table), ``'params'`` or ``'latency'`` (which needs
            ``latency_table``). Defaults to ``'flops'``.
        **kwargs: The other arguments, passed on to
            :class:`EvolutionSearchLoop`. There ``top_k`` is the number of
            survivors per generation (NSGA-II keeps about as many as it
            breeds), and a budget (``flops_range`` ...) is optional: the
            front covers the space, and each scored path still lies within
            it.

    Raises:
        ValueError: If ``objective`` is unknown, or is ``'latency'``
            without a ``latency_table``.
    """

    def __init__(self, runner, objective: str = 'flops', **kwargs):
        if objective not in OBJECTIVES:
            raise ValueError(f'train_cfg.objective must be one of '
                             f'{sorted(OBJECTIVES)}, got {objective!r}')
        if objective == 'latency' and not kwargs.get('latency_table'):
            raise ValueError(
                "train_cfg.objective='latency' needs train_cfg.latency_table"
                ' (the JSON of tools/analysis_tools/build_latency_table.py)')
        super().__init__(runner, **kwargs)
        self.objective = objective
        # a recorded setting: a resume under another objective is refused
        self.settings['train_cfg.objective'] = objective
        self._parent_keys: Dict[Candidate, nsga.Key] = {}

    def _setup(self) -> None:
        """Set up as the evolution search does, then log the objectives."""
        super()._setup()
        self.runner.logger.info(
            f'pareto search (NSGA-II): maximise {self.score_key}, minimise '
            f'{self._cost_axis()}; {self.top_k} survivors per generation')

    # ---------------------------------------------------------- objectives
    def _cost(self, candidate: Candidate) -> float:
        """The minimised objective of ``candidate``."""
        return getattr(self._costs(candidate), OBJECTIVES[self.objective][0])

    def _cost_axis(self) -> str:
        if self.objective == 'flops':
            return self._cost_label()
        return OBJECTIVES[self.objective][1]

    def _points(self, candidates: Sequence[Candidate],
                scores: Mapping[Candidate, float]) -> List[nsga.Point]:
        return [(float(scores[c]), float(self._cost(c))) for c in candidates]

    # ----------------------------------------------------------- the hooks
    def _select_parents(self) -> List[Candidate]:
        """Select NSGA-II's survivors of the kept and the population.

        They are listed front by front, each front by score, so the first
        is the best score kept.
        """
        pool = list(self.top_k_candidates)
        kept = set(pool)
        pool += [c for c in self.population if c not in kept]
        points = self._points(pool, self.scores)
        keys = nsga.nsga2_keys(points)
        chosen = nsga.select_survivors(points, self.top_k, keys)
        chosen.sort(key=lambda i: (keys[i][0], -points[i][0], i))
        # the tournaments use the ranks and distances of the whole pool
        self._parent_keys = {pool[i]: keys[i] for i in chosen}
        return [pool[i] for i in chosen]

    def _mating_pool(self) -> List[Candidate]:
        """Draw ``num_candidates`` binary-tournament winners of the kept."""
        parents = list(self.top_k_candidates)
        keys = [self._parent_keys.get(c) for c in parents]
        if None in keys:  # not selected by this process: rank the kept
            keys = nsga.nsga2_keys(self._points(parents, self.scores))
        return [
            parents[i] for i in nsga.binary_tournament(
                keys, self.num_candidates, self.rng)
        ]

    def _rank_by_prediction(
            self, children: Sequence[Candidate],
            predicted: Mapping[Candidate, float]) -> List[Candidate]:
        """Order ``children`` best first by NSGA-II on (predicted, cost).

        A score predictor chooses whom to score by this order.
        """
        order = nsga.nsga2_order(self._points(children, predicted))
        return [children[i] for i in order]

    # ---------------------------------------------------------- the result
    def pareto_front(self) -> List[Candidate]:
        """List every scored candidate that no other scored one dominates.

        Returns:
            List[Candidate]: The front, cheapest first; on equal costs the
            higher score first, then the order scored.
        """
        scored = list(self.scores)
        front = [
            scored[i]
            for i in nsga.pareto_indices(self._points(scored, self.scores))
        ]
        order = {c: i for i, c in enumerate(scored)}
        return sorted(
            front, key=lambda c: (self._cost(c), -self.scores[c], order[c]))

    def _finish(self) -> None:
        """Write the front, the best member's subnet and weights, a picture.

        The front is written as yaml with the BN statistics of each member.
        """
        front = self.pareto_front()  # every scored path was in budget
        if not front:
            raise self.budget.nothing_found(
                self.num_candidates * self.max_tries_factor, self.input_shape)
        best = max(front, key=lambda c: self.scores[c])  # first on ties
        start = time.perf_counter()
        params = {name for name, _ in self.model.named_parameters()}
        statistics, best_weights = [], None
        for candidate in front:  # every rank: BN sums are all-reduced
            self.scorer.activate(self.as_choices(candidate))
            weights = sliced_state_dict(self.model, self.mutator.mutables)
            statistics.append({
                k: v
                for k, v in weights.items() if k not in params
            })
            if candidate == best:
                best_weights = weights
                fix_subnet = self.mutator.current_subnet()
        self.runner.logger.info(
            f'pareto search done: {len(front)} front members of '
            f'{len(self.scores)} scored (BN statistics kept for each, '
            f'{time.perf_counter() - start:.1f} s); best {self.score_key} '
            f'{self.scores[best]:.4f}, subnet {dict(fix_subnet)}')
        if is_main_process():
            write_search_result(
                self.runner.work_dir, fix_subnet, best_weights,
                dict(
                    score=float(self.scores[best]),
                    score_key=self.score_key,
                    supernet_checkpoint=self.supernet_checkpoint))
            write_pareto_front(
                self.runner.work_dir, self._front_header(),
                [self._member(c, i + 1)
                 for i, c in enumerate(front)], statistics)
            self._draw(front, best)
        barrier()  # the files exist on every rank's return

    def _front_header(self) -> dict:
        cfg = self.runner.cfg
        model = dict(cfg.get('model') or {})
        if cfg.get('data_preprocessor') is not None:  # as the Runner does
            model.setdefault('data_preprocessor', cfg.data_preprocessor)
        checkpoint = self.supernet_checkpoint
        if checkpoint and osp.isfile(checkpoint):
            checkpoint = osp.abspath(checkpoint)  # picked from anywhere
        return dict(
            score_key=self.score_key,
            objective=self.objective,
            cost_label=self._cost_axis(),
            flops_convention=self.flops_convention,
            input_shape=list(self.input_shape),
            budget=plain(self.budget.state_dict()),
            latency_table=self.latency_table_file,
            generations=int(self._epoch),
            candidates_scored=len(self.scores),
            supernet_checkpoint=checkpoint,
            supernet_sha256=self.supernet_sha256,
            model=plain(model))

    def _member(self, candidate: Candidate, rank: int) -> dict:
        costs = self._costs(candidate)
        choices = self.as_choices(candidate)
        member = dict(
            rank=rank,
            cost=plain(self._cost(candidate)),
            score=float(self.scores[candidate]),
            score_key=self.score_key,
            flops=int(costs.flops),
            params=int(costs.params))
        if costs.latency_ms is not None:
            member['latency_ms'] = float(costs.latency_ms)
        member['generation'] = self.records.generation_of.get(candidate)
        member['candidate'] = list(self.scores).index(candidate) + 1
        member['decisions'] = dict(choices)
        member['subnet'] = {
            path: {
                'chosen': choices[key]
            }
            for key, members in self.mutator.search_groups.items()
            for path, _ in members
        }
        return member

    def _draw(self, front: Sequence[Candidate], best: Candidate) -> None:
        bounds = getattr(self.budget, f'{self.objective}_range', None)
        self.records.draw_front(
            self.scores, front, best, self._cost, self._cost_axis(), bounds,
            self.top_k_candidates,
            f'{len(self.scores)} candidates in {self._epoch} generations, '
            f'{len(front)} on the front; {self.budget.describe()}')
