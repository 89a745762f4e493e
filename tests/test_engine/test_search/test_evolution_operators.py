"""Population operations and the budget, without a Runner or a model."""
import random
from collections import OrderedDict

import pytest

from mmrazor_lite.engine.search import evolution_operators as evolution
from mmrazor_lite.estimators.resource_budget import (ResourceBudget,
                                                     SearchConstraintError,
                                                     parse_range)

CHOICES = [['a', 'b', 'c'], ['x', 'y'], ['p', 'q', 'r', 's']]


def test_random_candidate_is_reproducible_and_valid():
    first = [
        evolution.random_candidate(CHOICES, random.Random(3)) for _ in range(2)
    ]
    assert first[0] == first[1]
    rng = random.Random(0)
    drawn = {evolution.random_candidate(CHOICES, rng) for _ in range(300)}
    assert all(g in names for c in drawn for g, names in zip(c, CHOICES))
    assert len(drawn) == 3 * 2 * 4  # uniform draws reach every path


def test_mutate_keeps_or_redraws_genes_by_probability():
    parent = ('a', 'x', 'p')
    rng = random.Random(1)
    assert all(
        evolution.mutate([parent], CHOICES, 0.0, rng) == parent
        for _ in range(20))
    redrawn = {
        evolution.mutate([parent], CHOICES, 1.0, rng)
        for _ in range(200)
    }
    assert len(redrawn) > 10  # every gene re-drawn: many paths


def test_crossover_takes_each_gene_from_a_parent():
    parents = [('a', 'x', 'p'), ('c', 'y', 's')]
    rng = random.Random(2)
    children = {evolution.crossover(parents, rng) for _ in range(200)}
    for child in children:
        assert all(g in (p[i] for p in parents) for i, g in enumerate(child))
    assert ('a', 'y', 's') in children or ('c', 'x', 'p') in children


def test_draw_new_skips_seen_taken_and_disallowed():
    pool = iter([('a', 'x', 'p'), ('b', 'x', 'p'), ('c', 'x', 'p'),
                 ('a', 'y', 'p'), ('b', 'y', 'p'), ('c', 'y', 'p')])
    taken = {('b', 'x', 'p')}
    found = evolution.draw_new(
        lambda: next(pool),
        wanted=2,
        tries=6,
        allowed=lambda c: c[0] != 'c',
        seen={('a', 'x', 'p')},
        taken=taken)
    assert found == [('a', 'y', 'p'), ('b', 'y', 'p')]
    assert taken == {('b', 'x', 'p'), ('a', 'y', 'p'), ('b', 'y', 'p')}
    # the tries bound the draws: fewer found than wanted
    assert evolution.draw_new(lambda: ('a', 'x', 'p'), 3, 5, lambda c: True,
                              set(), set()) == [('a', 'x', 'p')]
    assert evolution.draw_new(lambda: 1 / 0, 0, 5, None, set(), set()) == []


def test_select_top_k_is_a_stable_sort_of_top_k_and_population():
    scores = {('a', ): 1.0, ('b', ): 2.0, ('c', ): 2.0, ('d', ): 0.5}
    top = evolution.select_top_k([('c', )], [('a', ), ('b', ), ('c', ),
                                             ('d', )], scores, 3)
    # ties keep their order of arrival: the old top-k first
    assert top == [('c', ), ('b', ), ('a', )]


def test_fill_population_tops_up_truncates_and_reports_shortfall():
    rng = random.Random(0)
    pop, short = evolution.fill_population([('a', 'x', 'p')], 5, CHOICES, rng,
                                           lambda c: True, set(), 10)
    assert len(pop) == len(set(pop)) == 5 and pop[0] == ('a', 'x', 'p')
    assert short == []
    assert evolution.fill_population(pop, 2, CHOICES, rng, lambda c: True,
                                     set(), 10) == (pop[:2], [])
    only_a = lambda c: c == ('a', 'x', 'p')  # noqa: E731
    pop, short = evolution.fill_population([], 3, CHOICES, rng, only_a, set(),
                                           20)
    assert pop == [('a', 'x', 'p')]
    assert short == [('random candidates', 1, 3)]


def test_breed_makes_new_distinct_children_and_reports_shortfall():
    parents = [('a', 'x', 'p'), ('c', 'y', 's')]
    seen = evolution.SeenCandidates({parents[0]: 1.0}, parents)
    children, short = evolution.breed(parents, CHOICES, random.Random(4), 3, 3,
                                      0.5, lambda c: True, seen, 10)
    assert len(children) == len(set(children)) == 6 and short == []
    assert not set(children) & set(parents)
    # same RNG state, same children: resumable and identical on every rank
    again, _ = evolution.breed(parents, CHOICES, random.Random(4), 3, 3, 0.5,
                               lambda c: True, seen, 10)
    assert again == children
    none, short = evolution.breed(parents, CHOICES, random.Random(4), 2, 1,
                                  0.5, lambda c: False, seen, 3)
    assert none == [] and short == [('mutations', 0, 2), ('crossovers', 0, 1)]
    assert evolution.breed([], CHOICES, random.Random(4), 2, 2, 0.5,
                           lambda c: True, seen, 3) == ([], [])


def test_check_settings_names_the_bad_value():
    with pytest.raises(ValueError, match='top_k must be >= 1, got 0'):
        evolution.check_settings(1, 1, 0.1, top_k=0)
    with pytest.raises(ValueError, match='num_mutation and num_crossover'):
        evolution.check_settings(-1, 1, 0.1)
    with pytest.raises(ValueError, match=r'mutate_prob must lie in \[0, 1\]'):
        evolution.check_settings(1, 1, 1.5)


class _Table:
    """A resource table of two decisions (the real one traces a model)."""
    input_shape, convention = (1, 3, 8, 8), 'fvcore'
    fixed_flops, fixed_params = 100, 10
    flops = OrderedDict(d0={'a': 1, 'b': 5}, d1={'x': 10, 'y': 20})
    params = OrderedDict(d0={'a': 1, 'b': 2}, d1={'x': 3, 'y': 4})

    def flops_of(self, c):
        return self.fixed_flops + sum(self.flops[k][v] for k, v in c.items())

    def params_of(self, c):
        return self.fixed_params + sum(self.params[k][v] for k, v in c.items())


def test_budget_ranges_and_lookups():
    assert parse_range('flops_range', 7) == (None, 7)
    assert parse_range('flops_range', None) is None
    with pytest.raises(ValueError, match='min is larger than max'):
        parse_range('flops_range', (5, 1))
    with pytest.raises(ValueError, match='flops_range must be None'):
        parse_range('flops_range', 'big')
    budget = ResourceBudget(flops_range=(None, 115), params_range=(15, None))
    table = _Table()
    assert budget.allows(table, dict(d0='b', d1='x'))  # 115 FLOPs, 15 params
    assert not budget.allows(table, dict(d0='b', d1='y'))  # 125 FLOPs
    assert not budget.allows(table, dict(d0='a', d1='x'))  # 14 params


def test_budget_outside_every_path_fails_at_once():
    ResourceBudget(flops_range=(111, 125)).check_feasible(_Table())
    with pytest.raises(
            SearchConstraintError,
            match=r'flops_range=\(None, 110\) cannot be met: .* '
            r'between 111 and 125'):
        ResourceBudget(flops_range=110).check_feasible(_Table())
    with pytest.raises(SearchConstraintError, match='params_range'):
        ResourceBudget(params_range=(20, None)).check_feasible(_Table())
    err = ResourceBudget(flops_range=120).nothing_found(50, (1, 3, 8, 8))
    assert isinstance(err, SearchConstraintError)
    assert 'in 50 random draws' in str(err) and 'flops_range' in str(err)
