import copy
import random

import pytest

from mmrazor_lite.estimators import (ResourceBudget, ResourceTable,
                                     count_flops_params)
from mmrazor_lite.mutators import OneShotMutator
from mmrazor_lite.registry import MODELS
from mmrazor_lite.subnet import fix_model

NAMES = ['shuffle_3x3', 'shuffle_5x5', 'shuffle_7x7', 'shuffle_xception']

SPACES = {
    'shufflenet': ('mmrazor_lite.SearchableShuffleNetV2', 1024),
    'mobilenet': ('mmrazor_lite.SearchableMobileNetProxyless', 1728),
}


def _classifier(widen=1.0, num_classes=1000, space='shufflenet'):
    backbone, in_channels = SPACES[space]
    return MODELS.build(
        dict(
            type='mmpretrain.ImageClassifier',
            backbone=dict(type=backbone, widen_factor=widen),
            neck=dict(type='mmpretrain.GlobalAveragePooling'),
            head=dict(
                type='mmpretrain.LinearClsHead',
                num_classes=num_classes,
                in_channels=in_channels)))


def _prepared(model):
    mutator = OneShotMutator()
    mutator.prepare_from_supernet(model)
    return mutator


@pytest.mark.parametrize('space', list(SPACES))
@pytest.mark.parametrize('convention', ['fvcore', 'conv_linear'])
def test_table_equals_traced_count_of_the_exported_subnet(convention, space):
    """The table's sums equal fvcore's count of the plain fixed subnet."""
    model = _classifier(widen=0.5, num_classes=10, space=space)
    mutator = _prepared(model)
    shape = (1, 3, 64, 64)
    table = ResourceTable(model, mutator, shape, convention)
    rng = random.Random(3)
    for _ in range(3):
        choices = mutator.sample_choices(rng)
        subnet = copy.deepcopy(model)
        fix_model(subnet, choices)  # only the chosen ops, plain modules
        flops, params = count_flops_params(subnet, shape, convention)
        assert table.flops_of(choices) == flops
        assert table.params_of(choices) == params
    # conv_linear really leaves BN out: fewer FLOPs than fvcore's count
    if convention == 'conv_linear':
        fv = ResourceTable(model, mutator, shape, 'fvcore')
        assert table.flops_of(choices) < fv.flops_of(choices)


def test_paper_subnet_full_size_counts():
    """Spec: the paper's ShuffleNetV2 subnet has 3,558,952 params and
    330,614,464 fvcore FLOPs."""
    model = _classifier()
    mutator = _prepared(model)
    table = ResourceTable(model, mutator)
    paper = (2, 1, 0, 1, 2, 0, 2, 0, 2, 0, 2, 3, 0, 0, 0, 0, 3, 2, 3, 3)
    choices = {k: NAMES[i] for k, i in zip(mutator.choices, paper)}
    assert table.params_of(choices) == 3_558_952
    assert table.flops_of(choices) == 330_614_464
    largest = table.largest()
    assert table.flops_of(largest) >= table.flops_of(choices)
    assert all(table.flops[k][largest[k]] == max(table.flops[k].values())
               for k in largest)


def test_lookup_rejects_incomplete_candidates():
    model = _classifier(widen=0.25, num_classes=10)
    table = ResourceTable(model, _prepared(model), (1, 3, 32, 32))
    with pytest.raises(KeyError, match='layers.0.0'):
        table.flops_of({})


def test_budget_state_and_description_show_latency_only_when_set():
    old = ResourceBudget(flops_range=330e6)
    assert old.state_dict() == dict(
        flops_range=[None, 330e6], params_range=None)
    assert 'latency' not in old.describe()
    new = ResourceBudget(flops_range=330e6, latency_range=[None, 25])
    assert new.state_dict() == dict(
        flops_range=[None, 330e6], params_range=None, latency_range=[None, 25])
    assert 'latency_range=(None, 25)' in new.describe()
    with pytest.raises(ValueError, match='latency_range .* min is larger'):
        ResourceBudget(latency_range=(30, 20))
