"""NSGA-II's fronts, crowding distances, order and tournaments on
hand-made (score, cost) points: score maximised, cost minimised."""
import math
import random

import pytest

from mmrazor_lite.engine.search import nsga2_selection as nsga

# A best score, C cheapest, B and F equal (neither dominates the other),
# D loses to A (same cost, lower score), E to B, C and F
A, B, C, D, E, F = (90, 10), (80, 5), (70, 2), (85, 10), (60, 8), (80, 5)
POINTS = [A, B, C, D, E, F]


def test_dominates():
    assert nsga.dominates(A, D)  # same cost, higher score
    assert nsga.dominates(C, E)  # higher score and cheaper
    assert not nsga.dominates(A, B) and not nsga.dominates(B, A)
    assert not nsga.dominates(B, F) and not nsga.dominates(F, B)  # equal
    assert not nsga.dominates(D, A)


def test_fronts_of_hand_made_points():
    assert nsga.non_dominated_fronts(POINTS) == [[0, 1, 2, 5], [3, 4]]
    assert nsga.pareto_indices(POINTS) == [0, 1, 2, 5]
    # a chain: each point dominated by the one before
    chain = [(10, 1), (9, 2), (8, 3)]
    assert nsga.non_dominated_fronts(chain[::-1]) == [[2], [1], [0]]
    assert nsga.non_dominated_fronts([]) == []


def test_crowding_distances_with_infinite_ends():
    distances = nsga.crowding_distances(POINTS, [0, 1, 2, 5])
    # score span 20, cost span 8; ends (A: best score and dearest, C:
    # cheapest and worst score) are infinite; B's neighbours are C and F
    # in both objectives, F's are B and A
    assert distances[0] == math.inf and distances[2] == math.inf
    assert distances[1] == pytest.approx(10 / 20 + 3 / 8)
    assert distances[3] == pytest.approx(10 / 20 + 5 / 8)
    # two points or fewer: all at the ends
    assert nsga.crowding_distances(POINTS, [3, 4]) == [math.inf] * 2
    # no spread in an objective adds nothing for it
    flat = [(50, 1), (50, 2), (50, 4)]
    assert nsga.crowding_distances(flat, [0, 1, 2]) == \
        [math.inf, pytest.approx(3 / 3), math.inf]


def test_order_and_survivors():
    keys = nsga.nsga2_keys(POINTS)
    assert [rank for rank, _ in keys] == [0, 0, 0, 1, 1, 0]
    # front 0 first: the two ends (higher score first), then F (less
    # crowded than B); then front 1's two ends by score
    assert nsga.nsga2_order(POINTS) == [0, 2, 5, 1, 3, 4]
    assert nsga.select_survivors(POINTS, 3) == [0, 2, 5]
    assert nsga.select_survivors(POINTS, 10) == [0, 2, 5, 1, 3, 4]


def test_ties_keep_the_order_given():
    same = [(50, 1)] * 4
    assert nsga.non_dominated_fronts(same) == [[0, 1, 2, 3]]
    # equal points: the ends by index get infinity, the rest by index
    assert nsga.nsga2_order(same) == [0, 3, 1, 2]
    # the answer depends on the points' order, nothing else: the same
    # list twice gives the same order
    rng = random.Random(3)
    points = [(rng.randint(0, 3), rng.randint(0, 3)) for _ in range(30)]
    assert nsga.nsga2_order(points) == nsga.nsga2_order(list(points))


@pytest.mark.parametrize('seed', range(5))
def test_fronts_on_random_points(seed):
    """Coarse random points (many ties): a dominated point is never on
    front 0, and each front is exactly what the earlier ones leave
    undominated."""
    rng = random.Random(seed)
    points = [(rng.randint(0, 6), rng.randint(0, 6)) for _ in range(40)]
    fronts = nsga.non_dominated_fronts(points)
    assert sorted(i for f in fronts for i in f) == list(range(40))
    left = set(range(40))
    for front in fronts:
        undominated = {
            i
            for i in left
            if not any(nsga.dominates(points[j], points[i]) for j in left)
        }
        assert set(front) == undominated
        assert front == sorted(front)
        left -= undominated
    for i in range(40):
        if any(nsga.dominates(p, points[i]) for p in points):
            assert i not in fronts[0]


class RecordingRandom(random.Random):
    """Records the entrants it draws."""

    def __init__(self, seed):
        super().__init__(seed)
        self.drawn = []

    def randrange(self, *args, **kwargs):
        value = super().randrange(*args, **kwargs)
        self.drawn.append(value)
        return value


def test_binary_tournament_prefers_rank_then_crowding():
    keys = [(1, math.inf), (0, 0.5), (0, math.inf), (0, 0.5), (2, 3.0)]
    rng = RecordingRandom(0)
    winners = nsga.binary_tournament(keys, 200, rng)
    assert len(winners) == 200 and len(rng.drawn) == 400
    expected = {
        (0, 1): 1,
        (0, 2): 2,
        (1, 2): 2,
        (1, 3): 1,
        (2, 3): 2,
        (0, 4): 0,
        (3, 4): 3,
        (2, 4): 2,
        (0, 3): 3,
        (1, 4): 1
    }
    pairs = list(zip(rng.drawn[::2], rng.drawn[1::2]))
    for (a, b), winner in zip(pairs, winners):
        assert winner == (a if a == b else expected[min(a, b), max(a, b)])
    assert 4 not in winners or (4, 4) in pairs  # the worst loses to all
    # the same seed draws the same tournaments
    assert nsga.binary_tournament(keys, 200, random.Random(0)) == winners
    assert nsga.binary_tournament([], 5, random.Random(0)) == []
