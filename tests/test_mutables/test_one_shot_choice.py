import pytest
import torch
import torch.nn as nn

from mmrazor_lite.mutables import OneShotChoice
from mmrazor_lite.mutators import OneShotMutator


def _choice(**kwargs):
    return OneShotChoice(
        dict(
            conv3=dict(type='ShuffleBlock', kernel_size=3),
            conv5=dict(type='ShuffleBlock', kernel_size=5),
            xcep=dict(type='ShuffleXception')),
        common_kwargs=dict(in_channels=8, out_channels=8, stride=1),
        **kwargs)


def test_forward_equals_the_chosen_candidate():
    torch.manual_seed(0)
    mutable = _choice().eval()
    x = torch.randn(2, 8, 5, 5)
    for name in mutable.choices:
        mutable.current_choice = name
        expected = mutable._candidates[name](x)
        assert torch.equal(mutable(x), expected)
    outs = []
    for name in mutable.choices:
        mutable.current_choice = name
        outs.append(mutable(x))
    assert not torch.allclose(outs[0], outs[1])


def test_fix_drops_the_other_candidates():
    mutable = _choice()
    kept = mutable._candidates['conv5']
    mutable.fix('conv5')
    assert mutable.choices == ['conv5'] and mutable.is_fixed
    assert mutable._candidates['conv5'] is kept
    keys = list(mutable.state_dict())
    assert keys and all(k.startswith('_candidates.conv5.') for k in keys)
    with pytest.raises(RuntimeError, match='fixed'):
        mutable.current_choice = 'conv3'


def test_bad_choice_lists_valid_names():
    mutable = _choice()
    with pytest.raises(ValueError) as err:
        mutable.current_choice = 'conv9'
    assert "'conv9'" in str(err.value)
    assert "['conv3', 'conv5', 'xcep']" in str(err.value)
    with pytest.raises(ValueError, match='valid choices'):
        mutable.fix('nope')


def test_candidates_can_be_modules():
    mutable = OneShotChoice(dict(a=nn.Identity(), b=nn.ReLU()))
    mutable.current_choice = 'b'
    assert mutable(torch.tensor([-1.])).item() == 0.
    with pytest.raises(TypeError, match="candidate 'c'"):
        OneShotChoice(dict(c=3))


def test_alias_shares_one_decision():
    model = nn.Sequential(
        _choice(alias='shared'), _choice(alias='shared'), _choice())
    mutator = OneShotMutator()
    mutator.prepare_from_supernet(model)
    assert list(mutator.choices) == ['shared', '2']
    mutator.set_choices({'shared': 'xcep', '2': 'conv3'})
    assert model[0].current_choice == model[1].current_choice == 'xcep'
    exported = mutator.export_subnet()
    assert exported['0'] == exported['1'] == {'chosen': 'xcep'}
    with pytest.raises(ValueError, match='conflicting'):
        mutator.set_choices({'0': 'xcep', '1': 'conv3', '2': 'conv3'})


def test_public_candidate_access_and_key_prefix():
    from mmrazor_lite.mutables.one_shot_choice import split_candidate_key
    mutable = _choice()
    assert mutable.candidate('conv5') is mutable._candidates['conv5']
    with pytest.raises(ValueError, match="unknown choice 'conv9'"):
        mutable.candidate('conv9')
    keys = list(nn.ModuleDict(dict(block=mutable)).state_dict())
    prefix = 'block.' + mutable.candidate_key_prefix('xcep')
    assert any(k.startswith(prefix) for k in keys)
    for key in keys:
        path, name, rest = split_candidate_key(key)
        assert path == 'block' and name in mutable.choices
        assert key == f'{path}.{mutable.candidate_key_prefix(name)}{rest}'
    assert split_candidate_key('head.fc.weight') is None
