import random
from collections import Counter

import pytest

from mmrazor_lite.mutators import OneShotMutator
from mmrazor_lite.registry import MODELS


def _supernet():
    return MODELS.build(
        dict(type='mmrazor_lite.SearchableShuffleNetV2', widen_factor=0.25))


def _mutator(model):
    mutator = OneShotMutator()
    mutator.prepare_from_supernet(model)
    return mutator


def test_finds_the_20_blocks_by_module_path():
    mutator = _mutator(_supernet())
    keys = list(mutator.choices)
    assert len(keys) == 20
    assert keys[0] == 'layers.0.0' and keys[-1] == 'layers.3.3'
    assert all(len(v) == 4 for v in mutator.choices.values())


def test_uniform_sampling_covers_every_choice_and_is_reproducible():
    mutator = _mutator(_supernet())
    draws = [mutator.sample_choices(random.Random(7)) for _ in range(2)]
    assert draws[0] == draws[1]
    rng = random.Random(0)
    counts = {k: Counter() for k in mutator.choices}
    for _ in range(400):
        for key, name in mutator.sample_choices(rng).items():
            counts[key][name] += 1
    for key, counter in counts.items():
        assert set(counter) == set(mutator.choices[key])
        # uniform: each of 4 choices ~100 of 400
        assert min(counter.values()) > 60, (key, counter)
    other = mutator.sample_choices(random.Random(8))
    assert other != draws[0]


def test_set_export_and_fix():
    model = _supernet()
    mutator = _mutator(model)
    choices = mutator.sample_choices(random.Random(1))
    mutator.set_choices(choices)
    assert mutator.current_choices() == choices
    exported = mutator.export_subnet()
    assert exported == {k: {'chosen': v} for k, v in choices.items()}
    n_before = sum(p.numel() for p in model.parameters())
    mutator.fix_subnet(choices)
    assert mutator.is_fixed
    assert sum(p.numel() for p in model.parameters()) < n_before / 2


def test_set_choices_errors_name_what_is_wrong():
    mutator = _mutator(_supernet())
    good = mutator.sample_choices(random.Random(0))
    bad_key = dict(good, **{'layers.9.9': 'shuffle_3x3'})
    with pytest.raises(KeyError, match='layers.9.9'):
        mutator.set_choices(bad_key)
    missing = dict(good)
    missing.pop('layers.2.3')
    with pytest.raises(KeyError, match='layers.2.3'):
        mutator.set_choices(missing)
    with pytest.raises(ValueError, match="'shuffle_9x9'.*shuffle_xception"):
        mutator.set_choices(dict(good, **{'layers.0.0': 'shuffle_9x9'}))


def test_model_without_choices_is_an_error():
    import torch.nn as nn
    with pytest.raises(ValueError, match='no OneShotChoice'):
        OneShotMutator().prepare_from_supernet(nn.Linear(2, 2))


def test_validate_choices_accepts_paths_and_returns_decisions():
    model = _supernet()
    mutator = _mutator(model)
    choices = mutator.sample_choices(random.Random(2))
    assert mutator.validate_choices(choices) == dict(choices)
    with pytest.raises(KeyError, match='no choice given'):
        mutator.validate_choices(dict(list(choices.items())[:3]))
    # mutables in decision order, and the active path by module path
    assert [m.current_choice for m in mutator.mutables] == \
        list(mutator.current_choices().values())
    mutator.set_choices(choices)
    assert mutator.current_subnet() == choices  # keys are paths here
    assert {k: v['chosen'] for k, v in mutator.export_subnet().items()} == \
        dict(mutator.current_subnet())
