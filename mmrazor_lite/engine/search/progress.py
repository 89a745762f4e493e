"""What a running search tells the person watching it (rank 0 only).

Per scored candidate, through the runner's logger::

    evolution search: generation 2/20, candidate 13/50, best accuracy/top1
    61.20, eta 0:12:31

A generation of at most :data:`EVERY_CANDIDATE_UP_TO` new candidates logs
every one; a larger one logs its first and last, about
:data:`LINES_PER_GENERATION` in between, and any candidate that ends more
than :data:`MAX_SILENCE_S` seconds after the last line (so a slow search
is never silent for long and a fast one does not flood the log). The ETA
is the mean time per candidate so far (one-off data loading left out)
times the candidates still to score: the rest of this generation and
``num_candidates`` per generation still to run.

Per generation: one summary line and scalars through the runner's
visualizer (``vis_data/scalars.json``, TensorBoard...), step = generation.
"""
import datetime
import math
import time
from contextlib import contextmanager
from statistics import fmean
from typing import Callable, Mapping, Sequence

from mmengine.dist import is_main_process

#: generations with at most this many new candidates log each of them
EVERY_CANDIDATE_UP_TO = 20
#: larger ones: about this many lines per generation ...
LINES_PER_GENERATION = 10
#: ... plus a line whenever this long passed since the last one
MAX_SILENCE_S = 60.0


def format_eta(seconds: float) -> str:
    """``h:mm:ss`` (``1 day, 2:03:04`` past a day)."""
    return str(datetime.timedelta(seconds=int(round(max(seconds, 0.0)))))


def should_log(index: int, total: int, silent_s: float) -> bool:
    """Whether candidate ``index`` (1-based) of ``total`` gets a line,
    ``silent_s`` seconds after the last progress line."""
    if total <= EVERY_CANDIDATE_UP_TO or index in (1, total):
        return True
    step = math.ceil(total / LINES_PER_GENERATION)
    return index % step == 0 or silent_s >= MAX_SILENCE_S


class SearchProgress:
    """Progress lines with an ETA, and the per-generation summary.

    Args:
        runner: its logger and visualizer are used.
        max_epochs (int): generations; num_candidates (int): population.
        score_key (str): the metric scored.
        clock: seconds, monotonic (a test passes a fake one).
    """

    def __init__(self,
                 runner,
                 max_epochs: int,
                 num_candidates: int,
                 score_key: str,
                 clock: Callable[[], float] = time.monotonic):
        self.logger, self.visualizer = runner.logger, runner.visualizer
        self.max_epochs, self.num_candidates = max_epochs, num_candidates
        self.score_key, self.clock = score_key, clock
        self.durations = []  # of the candidates scored by this process
        self.generation = self.total = self.index = 0
        self._last_line = clock()

    def start_generation(self, generation: int, total: int) -> None:
        """``total`` new candidates of (1-based) ``generation`` to score."""
        self.generation, self.total, self.index = generation, total, 0

    def eta_seconds(self) -> float:
        """Seconds left: the mean per candidate times those still to do."""
        if not self.durations:
            return float('nan')
        left = (self.total - self.index) + self.num_candidates * (
            self.max_epochs - self.generation)
        return fmean(self.durations) * left

    @contextmanager
    def candidate(self, scorer, scores: Mapping):
        """Around scoring one candidate into ``scores``; ``scorer``'s
        one-off data loading (``data_seconds``) is not its time."""
        data_before, start = scorer.data_seconds, self.clock()
        yield
        self.candidate_done(
            self.clock() - start - (scorer.data_seconds - data_before),
            max(scores.values()))

    def candidate_done(self, seconds: float, best: float) -> None:
        """One more candidate scored in ``seconds`` (data loading left
        out); ``best``: the best score so far."""
        self.index += 1
        self.durations.append(seconds)
        now = self.clock()
        if not is_main_process() or not should_log(self.index, self.total,
                                                   now - self._last_line):
            return
        self._last_line = now
        self.logger.info(
            f'evolution search: generation {self.generation}/'
            f'{self.max_epochs}, candidate {self.index}/{self.total}, best '
            f'{self.score_key} {best:.2f}, eta '
            f'{format_eta(self.eta_seconds())}')

    def generation_done(self, generation: int, population: Sequence,
                        top_k: Sequence, scores: Mapping,
                        costs: Callable) -> None:
        """The summary line and the scalars of a finished generation.

        Args:
            population: its candidates; top_k: the top-k after it, best
                first; scores: every score so far (candidate -> score).
            costs: ``costs(candidate) -> (flops, params[, latency_ms])``.
        """
        key, best = self.score_key, top_k[0]
        best_score, (flops, params) = scores[best], costs(best)[:2]
        # a population may be empty when the budget left no new path
        mean = fmean(scores[c] for c in population) if population \
            else best_score
        top_k_mean = fmean(scores[c] for c in top_k)
        self.logger.info(
            f'generation [{generation}/{self.max_epochs}] best {key} '
            f'{best_score:.4f}, FLOPs {flops:,}, params {params:,}, '
            f'{len(scores)} candidates scored so far, subnet {list(best)}; '
            f'mean {mean:.4f} (population), top-k mean {top_k_mean:.4f}')
        # every rank calls it: the visualizer writes on rank 0 only
        self.visualizer.add_scalars(
            {
                f'search/best_{key}': best_score,
                f'search/mean_{key}': mean,
                f'search/top_k_mean_{key}': top_k_mean,
                'search/best_flops': flops,
                'search/best_params': params
            },
            step=generation)

    def log_shortfall(self, generation: int, short,
                      max_tries_factor: int) -> None:
        """Warn of children (or random paths) not found new in budget."""
        for kind, found, wanted in short:
            self.logger.warning(
                f'generation {generation}: only {found} of {wanted} {kind} '
                f'found new and within budget in '
                f'{wanted * max_tries_factor} tries')
