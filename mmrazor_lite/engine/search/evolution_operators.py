"""Population operations of an evolution search, as pure functions.

A candidate is a tuple of choice names, one per decision, in the mutator's
decision order. Every random draw comes from the ``random.Random`` passed
in, so a search seeded the same way on every rank makes the same decisions
everywhere, and restoring the RNG state resumes the same sequence.
"""
import random
from typing import Callable, Container, List, Mapping, Sequence, Set, Tuple

Candidate = Tuple[str, ...]
#: the names each decision offers, in decision order
Choices = Sequence[Sequence[str]]


def random_candidate(choices: Choices, rng: random.Random) -> Candidate:
    """One choice per decision, uniformly at random."""
    return tuple(rng.choice(names) for names in choices)


def mutate(parents: Sequence[Candidate], choices: Choices, prob: float,
           rng: random.Random) -> Candidate:
    """A random parent with each gene re-drawn with probability ``prob``."""
    parent = rng.choice(parents)
    return tuple(
        rng.choice(choices[i]) if rng.random() < prob else gene
        for i, gene in enumerate(parent))


def crossover(parents: Sequence[Candidate], rng: random.Random) -> Candidate:
    """Uniform crossover of two random parents (possibly the same one)."""
    first = rng.choice(parents)
    second = rng.choice(parents)
    return tuple(rng.choice((a, b)) for a, b in zip(first, second))


def draw_new(make: Callable[[], Candidate], wanted: int, tries: int,
             allowed: Callable[[Candidate], bool], seen: Container,
             taken: Set[Candidate]) -> List[Candidate]:
    """Up to ``wanted`` new candidates from ``make()`` in ``tries`` draws.

    A draw is kept when it is neither in ``seen`` nor in ``taken`` and
    ``allowed`` (e.g. within budget); kept ones are added to ``taken``.
    """
    found: List[Candidate] = []
    if wanted <= 0:
        return found
    for _ in range(tries):
        if len(found) == wanted:
            break
        candidate = make()
        if candidate not in seen and candidate not in taken and \
                allowed(candidate):
            found.append(candidate)
            taken.add(candidate)
    return found


def select_top_k(top_k: Sequence[Candidate], population: Sequence[Candidate],
                 scores: Mapping[Candidate, float], k: int) -> List[Candidate]:
    """The best ``k`` of the previous top-k and the population.

    A stable sort: equal scores keep their order (older first), none lost.
    """
    pool = list(top_k)
    for candidate in population:
        if candidate not in pool:
            pool.append(candidate)
    pool.sort(key=lambda c: -scores[c])
    return pool[:k]


class SeenCandidates:
    """Container of the candidates no child may repeat: scored or kept."""

    def __init__(self, scores: Mapping[Candidate, float],
                 top_k: Sequence[Candidate]):
        self.scores = scores
        self.top_k = top_k

    def __contains__(self, candidate) -> bool:
        return candidate in self.scores or candidate in self.top_k


def fill_population(population: Sequence[Candidate], size: int,
                    choices: Choices, rng: random.Random,
                    allowed: Callable[[Candidate], bool], seen: Container,
                    tries_factor: int) -> Tuple[List[Candidate], list]:
    """``population`` topped up to ``size`` with new random candidates.

    Returns the new population and ``[('random candidates', found,
    wanted)]`` when too few new, allowed candidates turned up, else ``[]``.
    """
    wanted = size - len(population)
    if wanted <= 0:
        return list(population[:size]), []
    added = draw_new(lambda: random_candidate(choices, rng), wanted,
                     wanted * tries_factor, allowed, seen, set(population))
    short = [('random candidates', len(added), wanted)] \
        if len(added) < wanted else []
    return list(population) + added, short


def breed(
        parents: Sequence[Candidate], choices: Choices, rng: random.Random,
        num_mutation: int, num_crossover: int, mutate_prob: float,
        allowed: Callable[[Candidate],
                          bool], seen: Container, tries_factor: int
) -> Tuple[List[Candidate], List[Tuple[str, int, int]]]:
    """Mutations then crossovers of ``parents``, all new and distinct.

    Returns the children and, for each kind that fell short, ``(kind,
    found, wanted)``.
    """
    makers = (('mutations', num_mutation,
               lambda: mutate(parents, choices, mutate_prob, rng)),
              ('crossovers', num_crossover, lambda: crossover(parents, rng)))
    taken: Set[Candidate] = set()
    children: List[Candidate] = []
    short = []
    for kind, wanted, make in makers:
        if wanted == 0 or not parents:
            continue
        found = draw_new(make, wanted, wanted * tries_factor, allowed, seen,
                         taken)
        if len(found) < wanted:
            short.append((kind, len(found), wanted))
        children += found
    return children, short


def check_settings(num_mutation: int, num_crossover: int, mutate_prob: float,
                   **at_least_one: int) -> None:
    """Refuse settings the operations above cannot work with."""
    for name, value in at_least_one.items():
        if int(value) < 1:
            raise ValueError(f'{name} must be >= 1, got {value!r}')
    if num_mutation < 0 or num_crossover < 0:
        raise ValueError('num_mutation and num_crossover must be >= 0')
    if not 0.0 <= mutate_prob <= 1.0:
        raise ValueError(f'mutate_prob must lie in [0, 1], got '
                         f'{mutate_prob!r}')
