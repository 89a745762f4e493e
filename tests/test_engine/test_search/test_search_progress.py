"""What a running search tells its watcher, and its Pareto picture
(unit level; the search writes them in test_evolution_search.py)."""
import logging
from types import SimpleNamespace

import pytest

from mmrazor_lite.engine.search import progress as sp
from mmrazor_lite.engine.search.pareto_plot import (draw_search_pareto,
                                                    pareto_front)


class _Lines(logging.Handler):

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append((record.levelname, record.getMessage()))


class _Visualizer:

    def __init__(self):
        self.calls = []

    def add_scalars(self, scalars, step):
        self.calls.append((step, dict(scalars)))


def _progress(max_epochs=3, num_candidates=4):
    logger = logging.getLogger(f'search_progress_test_{id(object())}')
    logger.setLevel(logging.INFO)
    lines = _Lines()
    logger.addHandler(lines)
    clock = SimpleNamespace(now=0.0)
    runner = SimpleNamespace(logger=logger, visualizer=_Visualizer())
    progress = sp.SearchProgress(
        runner,
        max_epochs,
        num_candidates,
        'accuracy/top1',
        clock=lambda: clock.now)
    return progress, lines.lines, clock, runner.visualizer


def test_small_generations_log_every_candidate_with_eta():
    progress, lines, clock, _ = _progress(max_epochs=3, num_candidates=4)
    scorer = SimpleNamespace(data_seconds=0.0)
    scores = {}
    progress.start_generation(1, 4)
    for i, took in enumerate([30.0, 10.0, 10.0, 10.0]):
        with progress.candidate(scorer, scores):
            clock.now += took
            if i == 0:  # the first candidate also loaded the data, once
                scorer.data_seconds += 20.0
            scores[i] = 50.0 + i
    messages = [m for _, m in lines]
    # 10 s per candidate (the data loading left out), 3 then 2..0 left in
    # this generation plus 4 in each of the 2 generations still to run
    assert messages == [
        f'evolution search: generation 1/3, candidate {i}/4, best '
        f'accuracy/top1 {49 + i:.2f}, eta {eta}' for i, eta in zip(
            range(1, 5), ('0:01:50', '0:01:40', '0:01:30', '0:01:20'))
    ]


def test_large_generations_are_rate_limited():
    assert all(sp.should_log(i, 20, 0.0) for i in range(1, 21))
    logged = [i for i in range(1, 51) if sp.should_log(i, 50, 1.0)]
    assert logged == [1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50]
    # a slow search is never silent for long
    assert sp.should_log(7, 50, sp.MAX_SILENCE_S)
    assert not sp.should_log(7, 50, sp.MAX_SILENCE_S - 1)

    progress, lines, clock, _ = _progress(max_epochs=1, num_candidates=50)
    progress.start_generation(1, 50)
    for i in range(50):
        clock.now += 70.0 if i == 30 else 1.0  # candidate 31 is slow
        progress.candidate_done(1.0, 60.0)
    shown = [int(m.split('candidate ')[1].split('/')[0]) for _, m in lines]
    assert shown == [1, 5, 10, 15, 20, 25, 30, 31, 35, 40, 45, 50]
    assert lines[-1][1].endswith('eta 0:00:00')


def test_generation_summary_and_scalars():
    progress, lines, _, visualizer = _progress(max_epochs=2)
    scores = {('a', ): 10.0, ('b', ): 30.0, ('c', ): 20.0, ('d', ): 60.0}
    costs = {
        ('a', ): (100, 1),
        ('b', ): (200, 2),
        ('c', ): (300, 3),
        ('d', ): (400, 4)
    }
    progress.generation_done(2, [('a', ), ('b', ), ('c', )],
                             [('d', ), ('b', )], scores, costs.__getitem__)
    assert visualizer.calls == [(
        2,
        {
            'search/best_accuracy/top1': 60.0,
            'search/mean_accuracy/top1': 20.0,  # of the population
            'search/top_k_mean_accuracy/top1': 45.0,
            'search/best_flops': 400,
            'search/best_params': 4
        })]
    assert lines == [('INFO', "generation [2/2] best accuracy/top1 60.0000, "
                      "FLOPs 400, params 4, 4 candidates scored so far, "
                      "subnet ['d']; mean 20.0000 (population), top-k mean "
                      "45.0000")]
    progress.log_shortfall(2, [('mutations', 3, 5)], 10)
    assert lines[-1] == ('WARNING', 'generation 2: only 3 of 5 mutations '
                         'found new and within budget in 50 tries')


def test_pareto_picture(tmp_path):
    import matplotlib.image
    points = [(100, 10.0, 1), (150, 30.0, 1), (120, 30.0, 2), (200, 25.0, 2),
              (300, 50.0, 2)]
    assert pareto_front([(f, s) for f, s, _ in points]) == [(100, 10.0),
                                                            (120, 30.0),
                                                            (300, 50.0)]
    path = tmp_path / 'search_pareto.png'
    fig = draw_search_pareto(
        str(path),
        points, [(300, 50.0), (120, 30.0)], (300, 50.0),
        flops_range=(110, 320),
        score_key='accuracy/top1')
    assert matplotlib.image.imread(str(path)).shape[2] in (3, 4)
    ax = fig.axes[0]
    offsets = [c.get_offsets().tolist() for c in ax.collections]
    mega = 1e6
    assert offsets == [
        [[f / mega, s] for f, s, _ in points],  # every candidate
        [[300 / mega, 50.0], [120 / mega, 30.0]],  # the top-k
        [[300 / mega, 50.0]]
    ]  # the chosen one
    budget = [
        line.get_xdata()[0] * mega for line in ax.lines
        if line.get_linestyle() == '--'
    ]
    assert budget == pytest.approx([110, 320])
    labels = ax.get_legend_handles_labels()[1]
    assert labels == [
        'scored candidates', 'Pareto front', 'top-2', 'chosen',
        'budget min 0.00011 M', 'budget max 0.00032 M'
    ]
