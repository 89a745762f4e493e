"""Predictor-assisted evolution: the encoding, the predictors, the
screening of bred children and the search with a predictor (tiny supernet,
digits, CPU: same best as the plain search, deterministic, resumable,
1 process = 2 processes)."""
import logging
import os.path as osp
import random
import re
from collections import OrderedDict
from types import SimpleNamespace

import pytest
import torch
from scipy.stats import spearmanr

from mmrazor_lite.engine.search.score_predictor import (MODEL_TYPES,
                                                        ScorePredictor)
from mmrazor_lite.engine.search.subnet_encoding import SubnetEncoding

# decision order deliberately not alphabetical, names not sorted
CHOICES = OrderedDict([('stage.1', ['k7', 'k3', 'k5']), ('stage.0', ['b',
                                                                     'a'])])


# ------------------------------------------------------------- encoding
def test_encoding_is_one_hot_per_decision_in_decision_order():
    enc = SubnetEncoding(CHOICES)
    assert enc.size == 5
    assert enc.encode(('k3', 'a')).tolist() == [0, 1, 0, 0, 1]
    assert enc.encode(('k7', 'b')).tolist() == [1, 0, 0, 1, 0]
    rows = enc.encode_all([('k5', 'b'), ('k3', 'b')])
    assert rows.tolist() == [[0, 0, 1, 1, 0], [0, 1, 0, 1, 0]]
    # a second encoder of the same space (a resumed search) agrees
    assert SubnetEncoding(OrderedDict(CHOICES)).encode_all([
        ('k5', 'b'), ('k3', 'b')
    ]).tolist() == rows.tolist()


def test_encoding_refuses_unknown_choices_and_lengths():
    enc = SubnetEncoding(CHOICES)
    with pytest.raises(
            ValueError, match=r"'stage.0' offers \['b', 'a'\], "
            r"not 'c'"):
        enc.encode(('k3', 'c'))
    with pytest.raises(ValueError, match='has 1 choices; .* 2 decisions'):
        enc.encode(('k3', ))
    with pytest.raises(ValueError, match='distinct names'):
        SubnetEncoding({'x': ['a', 'a']})


# ------------------------------------------------------------- predictors
def _additive_space(seed=0, decisions=10, names=4):
    """A space whose score is a sum of a known value per (decision,
    choice); random candidates split into fit and held-out ones."""
    rng = random.Random(seed)
    choices = OrderedDict(
        (f'd{i}', [f'c{j}' for j in range(names)]) for i in range(decisions))
    value = {(k, n): rng.gauss(0, 1) for k, ns in choices.items() for n in ns}
    pool = list(
        {tuple(rng.choice(ns) for ns in choices.values())
         for _ in range(200)})
    pool.sort()
    rng.shuffle(pool)

    def score(c):
        return sum(value[k, n] for k, n in zip(choices, c))

    return choices, score, pool[:80], pool[80:140]


@pytest.mark.parametrize('kind', sorted(MODEL_TYPES))
def test_each_predictor_ranks_an_additive_score(kind):
    choices, score, fit, held_out = _additive_space()
    scores = OrderedDict((c, score(c)) for c in fit)
    predicted = ScorePredictor(
        type=kind, warmup=2).fit_predict(
            scores, held_out, choices, seed=0)
    assert list(predicted) == held_out
    rho = spearmanr([score(c) for c in held_out],
                    [predicted[c] for c in held_out])[0]
    assert rho >= 0.8, f'{kind}: Spearman {rho:.3f} on held-out candidates'


def test_fit_is_deterministic_and_uses_the_seed():
    choices, score, fit, held_out = _additive_space(seed=1)
    scores = OrderedDict((c, score(c)) for c in fit)
    predictor = ScorePredictor(type='RandomForest', warmup=2)
    first = predictor.fit_predict(scores, held_out, choices, seed=3)
    assert predictor.fit_predict(scores, held_out, choices, seed=3) == first
    # the seed reaches the model (bootstrap draws differ)
    assert predictor.fit_predict(scores, held_out, choices, seed=4) != first


@pytest.mark.parametrize('cfg,message', [
    (dict(type='Kriging', warmup=8), "type='Kriging' is not a known "
     'predictor; use one of GaussianProcess'),
    (dict(type='MLP', warmup=1), 'warmup must be a whole number >= 2, got 1'),
    (dict(type='MLP', warmup=8.0), 'warmup must be .* got 8.0'),
    (dict(type='MLP', warmup=True), 'warmup must be .* got True'),
    (dict(type='MLP', warmup='16'), "warmup must be .* got '16'"),
    (dict(type='MLP', warmup=8, oversample=0), 'oversample must be .* >= 1'),
    (dict(type='MLP'), "with 'warmup'"),
    ('RandomForest', "must be None or a dict"),
    (dict(type='RandomForest', warmup=8, n_trees=5),
     'RandomForestRegressor does not take these arguments .*n_trees'),
])
def test_bad_predictor_configs_are_refused(cfg, message):
    with pytest.raises(ValueError, match=message):
        ScorePredictor.build(cfg)


def test_no_predictor_config_is_no_predictor():
    assert ScorePredictor.build(None) is None
    assert ScorePredictor.build(
        dict(type='ExtraTrees', warmup=4, n_estimators=10)).warmup == 4
    assert ScorePredictor.build(dict(warmup=8)).type == 'MLP'


# ------------------------------------------------------------- screening
def _screening_loop(predictor, scored=12, seed=0):
    """An EvolutionSearchLoop with only what breeding reads (no runner);
    the score is additive, candidates starting with 'c3' are over budget."""
    from mmrazor_lite.engine.runner.evolution_search_loop import \
        EvolutionSearchLoop
    choices, score, fit, _ = _additive_space(seed, decisions=6)
    loop = EvolutionSearchLoop.__new__(EvolutionSearchLoop)
    loop._runner = SimpleNamespace(logger=logging.getLogger('screening'))
    loop.choices, loop.seed, loop.rng = choices, seed, random.Random(seed)
    loop.predictor = predictor
    loop.scores = OrderedDict((c, score(c)) for c in fit[:scored])
    loop.top_k_candidates = sorted(loop.scores, key=loop.scores.get)[-3:]
    loop.num_mutation, loop.num_crossover = 5, 3
    loop.mutate_prob, loop.max_tries_factor = 0.5, 10
    loop._allowed = lambda c: c[0] != 'c3'
    return loop, list(choices.values())


def test_screening_keeps_the_best_predicted_new_children_in_budget():
    predictor = ScorePredictor(type='RandomForest', warmup=10, oversample=4)
    loop, names = _screening_loop(predictor)
    seen = []
    predict = predictor.predict

    def recording(scores, children, *args):
        seen.append(predict(scores, children, *args))
        return seen[-1]

    predictor.predict = recording
    kept, short = loop._breed(names)
    assert short == []
    assert len(kept) == 8 == loop.num_mutation + loop.num_crossover
    predicted = seen[0]
    assert len(predicted) == 32  # 4 x (5 + 3) children were bred
    assert len(set(kept)) == 8 and set(kept) <= set(predicted)
    assert all(c not in loop.scores and c not in loop.top_k_candidates
               and c[0] != 'c3' for c in kept)
    ranks = [predicted[c] for c in kept]
    assert ranks == sorted(ranks, reverse=True)  # best predicted first
    left = [p for c, p in predicted.items() if c not in kept]
    assert max(left) <= ranks[-1]


def test_before_the_warmup_breeding_is_the_plain_one():
    predictor = ScorePredictor(type='RandomForest', warmup=13, oversample=4)
    with_predictor, names = _screening_loop(predictor, scored=12)
    plain, _ = _screening_loop(None, scored=12)
    assert with_predictor._breed(names) == plain._breed(names)
    assert with_predictor.rng.getstate() == plain.rng.getstate()
    with_predictor.scores[('c0', ) * 6] = 0.0  # 13 scores: it screens
    assert len(with_predictor._breed(names)[0]) == 8
    assert with_predictor.rng.getstate() != plain.rng.getstate()


def test_rank_by_prediction_is_stable():
    from mmrazor_lite.engine.runner.evolution_search_loop import \
        EvolutionSearchLoop
    loop = EvolutionSearchLoop.__new__(EvolutionSearchLoop)
    children = [('a', ), ('b', ), ('c', ), ('d', )]
    predicted = {('a', ): 1.0, ('b', ): 3.0, ('c', ): 1.0, ('d', ): 2.0}
    assert loop._rank_by_prediction(children, predicted) == \
        [('b', ), ('d', ), ('a', ), ('c', )]


# ---------------------------------- a search with a predictor (supernet)
PREDICTOR = dict(type='MLP', warmup=6, oversample=4)  # the default type


@pytest.fixture(scope='module')
def trained_supernet(tmp_path_factory):
    """The tiny digits supernet, trained long enough (30 steps) for paths
    to score apart."""
    from helpers.search_pipeline import run, tiny_config
    work_dir = tmp_path_factory.mktemp('predictor_supernet')
    cfg = tiny_config(work_dir)
    cfg.train_cfg.max_iters = cfg.param_scheduler[0].end = 30
    cfg.default_hooks.checkpoint.interval = 30
    run(cfg)
    return str(work_dir / 'iter_30.pth')


def _search(work_dir, ckpt, predictor=PREDICTOR, resume=False, **search):
    """4 generations of 6 (top-k 2, 2 mutations + 2 crossovers): the
    predictor screens from the end of generation 1 on."""
    from helpers.search_pipeline import run, tiny_config
    search = dict(dict(max_epochs=4, predictor=predictor), **search)
    return run(
        tiny_config(work_dir, search=search, load_from=ckpt,
                    resume=resume)).train_loop


def _state(work_dir, generation):
    return torch.load(
        osp.join(work_dir, f'search_epoch_{generation}.pth'),
        weights_only=True)


@pytest.fixture(scope='module')
def searches(tmp_path_factory, trained_supernet):
    plain = _search(
        tmp_path_factory.mktemp('plain'), trained_supernet, predictor=None)
    assisted = _search(tmp_path_factory.mktemp('assisted'), trained_supernet)
    return plain, assisted


def test_predictor_search_screens_real_scores(searches):
    plain, assisted = searches
    # the same budget of real scores, the same first generation
    assert len(assisted.scores) == len(plain.scores) == 24
    assert list(assisted.scores)[:6] == list(plain.scores)[:6]
    # then other children were scored: the predictor chose them
    assert list(assisted.scores) != list(plain.scores)
    assert len(set(plain.scores.values())) > 3  # scores tell paths apart
    assert assisted.scores[assisted.top_k_candidates[0]] == \
        max(assisted.scores.values())
    from helpers.search_pipeline import search_log
    log = search_log(assisted)
    assert re.search(
        r'predictor MLP \(fit on 6 scores\): 4 best '
        r'predicted of \d+ bred', log)
    assert 'best predicted of' not in search_log(plain)


def _additive_search(work_dir, ckpt, predictor, worst_first=False):
    """A search of the tiny space (4 decisions, 256 paths) whose scorer
    is a sum of a known value per (decision, choice): its best is known."""
    from mmrazor_lite.apis import build_runner
    from helpers.search_pipeline import tiny_config
    runner = build_runner(
        tiny_config(
            work_dir,
            search=dict(max_epochs=4, predictor=predictor),
            load_from=ckpt))
    loop = runner.train_loop
    rng = random.Random(0)
    value = {
        (k, n): rng.gauss(0, 1)
        for k, names in loop.mutator.choices.items()
        for n in names
    }
    loop.scorer.score = lambda path: sum(value[k, n] for k, n in path.items())
    if worst_first:  # a predictor that points the wrong way
        loop._rank_by_prediction = lambda children, predicted: sorted(
            children, key=lambda c: predicted[c])
    runner.train()
    best = sum(
        max(value[k, n] for n in names)
        for k, names in loop.mutator.choices.items())
    return list(loop.scores.values()), best


def test_predictor_search_reaches_the_plain_best(tmp_path, trained_supernet):
    """The issue's acceptance test, on a score a predictor can learn."""
    plain, best = _additive_search(tmp_path / 'plain', trained_supernet, None)
    assisted, _ = _additive_search(tmp_path / 'assisted', trained_supernet,
                                   PREDICTOR)
    wrong, _ = _additive_search(
        tmp_path / 'wrong', trained_supernet, PREDICTOR, worst_first=True)
    assert len(plain) == len(assisted) == len(wrong) == 24
    target = max(plain)
    assert max(assisted) >= target
    # ... and no later than the plain search got there
    assert next(i for i, s in enumerate(assisted) if s >= target) <= \
        plain.index(target)
    assert max(wrong) < max(assisted)  # so the ranking is what helped
    assert max(assisted) <= best + 1e-9


def test_settings_record_the_predictor_and_resume_refuses_another(
        tmp_path, searches, trained_supernet):
    from helpers.search_pipeline import copy_state
    plain, assisted = searches
    assert _state(assisted.runner.work_dir,
                  1)['settings']['train_cfg.predictor'] == PREDICTOR
    assert 'train_cfg.predictor' not in \
        _state(plain.runner.work_dir, 1)['settings']
    copy_state(assisted.runner.work_dir, tmp_path, 2)
    with pytest.raises(
            ValueError,
            match=r"train_cfg.predictor.type: saved "
            r"'MLP', now 'ExtraTrees'"):
        _search(
            tmp_path, None, dict(PREDICTOR, type='ExtraTrees'), resume=True)


def test_predictor_search_is_deterministic_and_resumes_identically(
        tmp_path, searches, trained_supernet):
    """Stopped after generation 2 (the predictor screened twice), then
    resumed: the same states and answer as the uninterrupted run."""
    _, full = searches
    _search(tmp_path, trained_supernet, max_epochs=2)
    for key in ('scores', 'population', 'top_k', 'rng_state'):
        assert _state(tmp_path, 2)[key] == \
            _state(full.runner.work_dir, 2)[key]
    resumed = _search(tmp_path, None, resume=True)
    assert resumed.evaluated == full.evaluated[-len(resumed.evaluated):]
    assert len(resumed.evaluated) == 12
    assert resumed.scores == full.scores
    assert resumed.top_k_candidates == full.top_k_candidates
    for key in ('scores', 'population', 'top_k', 'rng_state'):
        assert _state(tmp_path, 4)[key] == \
            _state(full.runner.work_dir, 4)[key]
    assert (tmp_path / 'best_fix_subnet.yaml').read_text() == \
        open(osp.join(full.runner.work_dir, 'best_fix_subnet.yaml')).read()


def test_predictor_search_is_the_same_on_2_processes(tmp_path, searches,
                                                     trained_supernet):
    """Two gloo ranks, 3 generations: the state equals the one-process
    run's after generation 3."""
    from helpers.search_pipeline import tiny_config
    from helpers.tools import train_on_two_ranks
    _, full = searches
    config = tmp_path / 'assisted_search.py'
    tiny_config(
        tmp_path,
        search=dict(max_epochs=3, predictor=PREDICTOR),
        load_from=trained_supernet).dump(str(config))
    ranks = train_on_two_ranks(config, tmp_path)
    for returncode, output in ranks:
        assert returncode == 0, output[-3000:]
    outputs = [output for _, output in ranks]
    assert '4 best predicted of' in outputs[0]
    one, two = _state(full.runner.work_dir, 3), _state(tmp_path, 3)
    for key in ('population', 'top_k', 'rng_state'):
        assert one[key] == two[key], key
    assert [c for c, _ in one['scores']] == [c for c, _ in two['scores']]
    for (_, a), (_, b) in zip(one['scores'], two['scores']):
        assert a == pytest.approx(b, abs=1e-9)
