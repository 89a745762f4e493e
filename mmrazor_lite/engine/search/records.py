"""The records a search keeps for people (rank 0, atomically):
``search_candidates.csv`` (every scored candidate), ``search_top_k.txt``
(after each generation) and ``search_pareto.png`` (at the end).

The table of candidates is rewritten whole from the search's own scores
after each scored candidate, never appended to: after a kill and
``--resume`` it holds the resumed state's candidates once each, in the
order scored, followed by those scored since. The generation that scored a
candidate is kept in the search state (``score_generations``) for this.
"""
import os.path as osp
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from mmengine.dist import is_main_process

from mmrazor_lite.structures.search_result import (write_candidates_table,
                                                   write_top_k_table)
from .pareto_plot import MEGA, PARETO_FILE, draw_search_pareto

Candidate = Tuple[str, ...]


class SearchRecords:
    """Which generation scored each candidate; writes the records.

    Args:
        work_dir (str): where the files go.
        score_key (str): the score's name.
        decisions (list[str]): one column each, the candidate's choice.
        costs: ``costs(candidate) -> (flops, params[, latency_ms])``.
        flops_label (str): how FLOPs were counted (convention, input).
    """

    def __init__(self,
                 work_dir: str,
                 score_key: str,
                 decisions: Sequence[str],
                 costs: Callable[[Candidate], Tuple[int, int]],
                 flops_label: str = 'FLOPs'):
        self.work_dir, self.score_key = work_dir, score_key
        self.decisions, self.costs = list(decisions), costs
        self.flops_label = flops_label
        self.generation_of: Dict[Candidate, Optional[int]] = {}

    def scored(self, candidate: Candidate, generation: int,
               scores: Mapping[Candidate, float]) -> None:
        """``candidate`` was scored in ``generation``; rewrite the table
        from ``scores`` (every score so far, in order)."""
        self.generation_of[candidate] = int(generation)
        self.write(scores)

    def write(self, scores: Mapping[Candidate, float]) -> None:
        if not is_main_process():
            return
        write_candidates_table(
            self.work_dir, self.score_key, self.decisions,
            [(self.generation_of.get(c), s, self.costs(c), c)
             for c, s in scores.items()])

    def state_dict(self, scores: Mapping[Candidate, float]) -> List:
        """The generation of each of ``scores``, in their order."""
        return [self.generation_of.get(c) for c in scores]

    def load_state_dict(self, scores: Mapping[Candidate, float],
                        generations: Optional[Sequence]) -> None:
        """Restore what :meth:`state_dict` gave (None: a state written
        before generations were recorded; their column stays empty)."""
        self.generation_of = {
            c: None if g is None else int(g)
            for c, g in zip(scores, generations or [])
        }

    def write_top_k(self, title: str, top_k: Sequence[Candidate],
                    scores: Mapping[Candidate, float]) -> None:
        """``search_top_k.txt`` of ``top_k`` (best first)."""
        write_top_k_table(
            self.work_dir, f'{title}, score {self.score_key}, '
            f'{self.flops_label}, decisions {self.decisions}',
            [(scores[c], self.costs(c), c) for c in top_k])

    def draw_pareto(self,
                    scores: Mapping[Candidate, float],
                    top_k: Sequence[Candidate],
                    flops_range,
                    title: str = ''):
        """``search_pareto.png``: every candidate, ``top_k`` (its first
        is the chosen one) and the FLOPs budget; the Figure."""
        point = {c: (self.costs(c)[0], s) for c, s in scores.items()}
        return draw_search_pareto(
            osp.join(self.work_dir, PARETO_FILE),
            [(*point[c], self.generation_of.get(c))
             for c in scores], [point[c] for c in top_k], point[top_k[0]],
            flops_range, self.score_key, self.flops_label, title)

    def draw_front(self,
                   scores: Mapping[Candidate, float],
                   front: Sequence[Candidate],
                   chosen: Candidate,
                   cost: Callable[[Candidate], float],
                   cost_label: str,
                   bounds,
                   kept: Sequence[Candidate],
                   title: str = ''):
        """``search_pareto.png`` of a Pareto search: every candidate at
        ``cost(candidate)`` (FLOPs, params or latency: ``cost_label``),
        its ``front`` highlighted, the last ``kept`` ringed, ``chosen``
        starred and the cost ``bounds``; the Figure."""
        point = {c: (cost(c), s) for c, s in scores.items()}
        millions = 'latency' not in cost_label  # ms are drawn as they are
        return draw_search_pareto(
            osp.join(self.work_dir, PARETO_FILE),
            [(*point[c], self.generation_of.get(c)) for c in scores],
            [point[c] for c in kept],
            point[chosen],
            bounds,
            self.score_key,
            cost_label,
            title,
            front=[point[c] for c in front],
            x_scale=MEGA if millions else 1.0,
            kept_label=f'kept ({len(kept)})')
