"""NSGA-II's ordering of points (score: maximise, cost: minimise), as pure
functions on lists of ``(score, cost)``.

Deb et al., "A fast and elitist multiobjective genetic algorithm:
NSGA-II" (2002): points are sorted into fronts (front 0: dominated by
none; front r: dominated only by points of earlier fronts) and, within a
front, spread by their crowding distance (the extremes: infinite).

Every tie is broken by the point's index (its place in the list given),
never by chance or hashing, so that processes holding the same list decide
the same way. Random draws come only from the ``random.Random`` passed in.
"""
import math
import random
from typing import List, Optional, Sequence, Tuple

#: (score, cost) of a candidate: higher score and lower cost are better
Point = Tuple[float, float]
#: (front rank, crowding distance) of a point
Key = Tuple[int, float]


def dominates(a: Point, b: Point) -> bool:
    """``a`` is no worse than ``b`` in both objectives and better in one."""
    return (a[0] >= b[0] and a[1] <= b[1]) and (a[0] > b[0] or a[1] < b[1])


def non_dominated_fronts(points: Sequence[Point]) -> List[List[int]]:
    """Indices of ``points`` by front (front 0 first), each in index order.

    Equal points dominate neither one another: they share a front.
    """
    count = len(points)
    beaten_by = [0] * count  # how many points dominate each one
    beats: List[List[int]] = [[] for _ in range(count)]
    for i in range(count):
        for j in range(i + 1, count):
            if dominates(points[i], points[j]):
                beats[i].append(j)
                beaten_by[j] += 1
            elif dominates(points[j], points[i]):
                beats[j].append(i)
                beaten_by[i] += 1
    fronts = []
    current = [i for i in range(count) if beaten_by[i] == 0]
    while current:
        fronts.append(current)
        following = []
        for i in current:
            for j in beats[i]:
                beaten_by[j] -= 1
                if beaten_by[j] == 0:
                    following.append(j)
        current = sorted(following)
    return fronts


def crowding_distances(points: Sequence[Point],
                       front: Sequence[int]) -> List[float]:
    """Crowding distance of each of ``front`` (indices of ``points``), in
    the order of ``front``: the sum over both objectives of the gap between
    a point's neighbours, divided by the front's span; the lowest and
    highest of each objective get infinity (they bound the front)."""
    distance = {i: 0.0 for i in front}
    if len(front) <= 2:
        return [math.inf] * len(front)
    for objective in (0, 1):
        ordered = sorted(front, key=lambda i: (points[i][objective], i))
        low = points[ordered[0]][objective]
        high = points[ordered[-1]][objective]
        distance[ordered[0]] = distance[ordered[-1]] = math.inf
        if high == low:  # every point alike here: no spread to measure
            continue
        for before, i, after in zip(ordered, ordered[1:], ordered[2:]):
            distance[i] += (points[after][objective] -
                            points[before][objective]) / (
                                high - low)
    return [distance[i] for i in front]


def nsga2_keys(points: Sequence[Point]) -> List[Key]:
    """``(front rank, crowding distance)`` of each point, in their order."""
    keys: List[Key] = [(0, 0.0)] * len(points)
    for rank, front in enumerate(non_dominated_fronts(points)):
        for i, distance in zip(front, crowding_distances(points, front)):
            keys[i] = (rank, distance)
    return keys


def nsga2_order(points: Sequence[Point],
                keys: Optional[Sequence[Key]] = None) -> List[int]:
    """Indices of ``points``, best first: by front rank, then crowding
    distance (larger first), then score (higher first), then index.
    ``keys``: their :func:`nsga2_keys` when computed already."""
    keys = nsga2_keys(points) if keys is None else keys
    return sorted(
        range(len(points)),
        key=lambda i: (keys[i][0], -keys[i][1], -points[i][0], i))


def select_survivors(points: Sequence[Point],
                     k: int,
                     keys: Optional[Sequence[Key]] = None) -> List[int]:
    """NSGA-II's environmental selection: the indices of the ``k`` best by
    :func:`nsga2_order` (whole fronts first; the front that does not fit
    whole gives up its most crowded points)."""
    return nsga2_order(points, keys)[:max(0, int(k))]


def binary_tournament(keys: Sequence[Key], size: int,
                      rng: random.Random) -> List[int]:
    """``size`` winners (indices of ``keys``) of binary tournaments: two
    entrants drawn uniformly (with replacement), the lower front rank wins,
    then the larger crowding distance, then the lower index."""
    if not keys:
        return []
    winners = []
    for _ in range(int(size)):
        a, b = rng.randrange(len(keys)), rng.randrange(len(keys))
        winners.append(min(a, b, key=lambda i: (keys[i][0], -keys[i][1], i)))
    return winners


def pareto_indices(points: Sequence[Point]) -> List[int]:
    """Front 0: the indices of the points no other point dominates, in
    index order."""
    fronts = non_dominated_fronts(points)
    return fronts[0] if fronts else []
