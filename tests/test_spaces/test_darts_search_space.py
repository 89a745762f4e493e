"""DARTS / PC-DARTS search space against the reference PC-DARTS code.

Oracles (tests/data/pcdarts_*.pt) were produced by yuhuixu1993/PC-DARTS on
CPU in float32; see the oracle README for what each tensor is.
"""
import copy
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

import mmrazor_lite  # noqa: F401  (registers everything)
from mmrazor_lite.mutables.darts_arch_weights import darts_arch_weights
from mmrazor_lite.mutables.edge_normalised_node import (EdgeNormalisedNode,
                                                        edge_softmax,
                                                        node_edge_slices)
from mmrazor_lite.mutables.partial_channel_mixed_op import \
    PartialChannelMixedOp
from mmrazor_lite.mutators import derive_genotype
from mmrazor_lite.ops.darts_ops import (DARTS_PRIMITIVES, FactorizedReduce,
                                        build_darts_op)
from mmrazor_lite.registry import MODELS
from mmrazor_lite.spaces.darts_search_network import DartsSearchNetwork
from mmrazor_lite.structures import (GENOTYPES, Genotype, dump_genotype,
                                     load_genotype)
from helpers.paths import REPO
from helpers.tools import load_module

ROOT = REPO
DATA = osp.join(ROOT, 'tests', 'data')
CONVERTERS = osp.join(ROOT, 'tools', 'model_converters')
CONVERTER = osp.join(CONVERTERS, 'pcdarts_search_to_mmrazor_lite.py')
TOL = dict(rtol=1e-5, atol=1e-5)

# The converter imports its sibling key table as a top-level module (its
# directory is on sys.path when it runs as a script): load_module registers
# it under that name.
load_module('tools/model_converters/darts_reference_keys.py')
converter = load_module(
    'tools/model_converters/pcdarts_search_to_mmrazor_lite.py',
    'pcdarts_converter')


@pytest.fixture(scope='module', autouse=True)
def single_thread():
    """Tiny tensors: thread hand-offs cost more than they save, and on a
    busy 2-core runner two threads spin against each other (10x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def mixed_oracle():
    return torch.load(osp.join(DATA, 'pcdarts_mixedop.pt'), weights_only=True)


@pytest.fixture(scope='module')
def net_oracle():
    return torch.load(osp.join(DATA, 'pcdarts_network.pt'), weights_only=True)


def _arch(ref: dict) -> dict:
    """Reference arch names (alphas_normal) -> ours (alpha_normal)."""
    return {
        k.replace('alphas_', 'alpha_').replace('betas_', 'beta_'): v
        for k, v in ref.items()
    }


def _mixed_op(case: dict, k: int, **kwargs) -> PartialChannelMixedOp:
    op = PartialChannelMixedOp(case['C'], case['stride'], k=k, **kwargs)
    state = {
        converter.convert_mixed_op_key(key): v
        for key, v in case['state_dict'].items()
    }
    op.load_state_dict(state, strict=True)
    return op


def _network(oracle: dict, **kwargs) -> DartsSearchNetwork:
    cfg = oracle['config']
    net = DartsSearchNetwork(
        channels=cfg['C'],
        num_layers=cfg['layers'],
        num_classes=cfg['num_classes'],
        steps=cfg['steps'],
        multiplier=cfg['multiplier'],
        stem_multiplier=cfg['stem_multiplier'],
        k=cfg['k'],
        **kwargs)
    state, arch = converter.convert_state_dict(oracle['state_dict'])
    assert not arch  # the reference kept its alphas out of the state dict
    net.load_state_dict(state, strict=True)
    return net


# ----------------------------------------------------------------- mixed op
@pytest.mark.parametrize('case_name', ['stride1', 'stride2'])
def test_mixed_op_matches_reference(mixed_oracle, case_name):
    case = mixed_oracle[case_name]
    k = mixed_oracle['k']
    assert list(DARTS_PRIMITIVES) == list(mixed_oracle['primitives'])

    op = _mixed_op(case, k).eval()
    with torch.no_grad():
        out = op(case['input'], case['weights'])
    torch.testing.assert_close(out, case['output_eval'], **TOL)

    op = _mixed_op(case, k).train()
    x = case['input'].clone().requires_grad_()
    w = case['weights'].clone().requires_grad_()
    out = op(x, w)
    torch.testing.assert_close(out, case['output_train'], **TOL)
    (out * case['grad_out_train']).sum().backward()
    torch.testing.assert_close(x.grad, case['grad_input_train'], **TOL)
    torch.testing.assert_close(w.grad, case['grad_weights_train'], **TOL)

    after = {
        converter.convert_mixed_op_key(key): v
        for key, v in case['state_dict_after_train_forward'].items()
    }
    state = op.state_dict()
    assert set(state) == set(after)
    for key, value in after.items():
        torch.testing.assert_close(state[key], value, **TOL, msg=key)


@pytest.mark.parametrize('case_name', ['stride1', 'stride2'])
def test_mixed_op_channel_shift(mixed_oracle, case_name):
    """'shift' rotates the pre-shuffle concat left by C/k channels."""
    case = mixed_oracle[case_name]
    k = mixed_oracle['k']
    op = _mixed_op(case, k, channel_mix='shift').eval()
    with torch.no_grad():
        out = op(case['input'], case['weights'])
    pre = case['eval_pre_shuffle']
    part = case['C'] // k
    expected = torch.cat([pre[:, part:], pre[:, :part]], dim=1)
    torch.testing.assert_close(out, expected, **TOL)


@pytest.mark.parametrize('stride', [1, 2])
def test_k1_is_plain_weighted_sum(stride):
    torch.manual_seed(0)
    op = PartialChannelMixedOp(8, stride, k=1).eval()
    x = torch.randn(2, 8, 9, 9)
    w = torch.randn(len(DARTS_PRIMITIVES)).softmax(0)
    with torch.no_grad():
        out = op(x, w)
        expected = sum(w[i] * op._candidates[name](x)
                       for i, name in enumerate(DARTS_PRIMITIVES))
    assert op.bypass_pool is None
    # Candidates are built for all 8 channels: no bypass in DARTS.
    assert op._candidates['sep_conv_3x3'].conv1.depthwise.in_channels == 8
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    assert out.shape == (2, 8, 5 if stride == 2 else 9,
                         5 if stride == 2 else 9)


@pytest.mark.parametrize('stride', [1, 2])
def test_one_relu_per_edge_same_values_less_saved_memory(stride):
    """The mixed op shares relu(x) between its conv candidates: values and
    gradients are those of the plain per-candidate sum, with fewer bytes
    kept for backward."""
    torch.manual_seed(0)
    op = PartialChannelMixedOp(8, stride, k=1).train()
    x0 = torch.randn(2, 8, 10, 10)
    w0 = torch.randn(len(DARTS_PRIMITIVES)).softmax(0)
    g = torch.randn(2, 8, 5 if stride == 2 else 10, 5 if stride == 2 else 10)

    def run(forward):
        x, w = x0.clone().requires_grad_(), w0.clone().requires_grad_()
        saved = {}

        def pack(t):
            saved[t.untyped_storage().data_ptr()] = \
                t.untyped_storage().nbytes()
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = forward(x, w)
        (out * g).sum().backward()
        return out.detach(), x.grad, w.grad, sum(saved.values())

    def per_candidate(x, w):
        return sum(w[i] * op._candidates[name](x)
                   for i, name in enumerate(DARTS_PRIMITIVES))

    shared = run(op)
    plain = run(per_candidate)
    torch.testing.assert_close(shared[0], plain[0], rtol=0, atol=0)
    torch.testing.assert_close(shared[1], plain[1])
    torch.testing.assert_close(shared[2], plain[2])
    # the 4 conv candidates start with a ReLU (at stride 2 skip_connect's
    # factorized reduce too): one copy of relu(x) is kept instead of 4 (5)
    relu_copy = x0.numel() * 4
    assert plain[3] - shared[3] >= (3 if stride == 1 else 4) * relu_copy


@pytest.mark.parametrize('k', [1, 2, 4])
@pytest.mark.parametrize('size', [7, 15, 16])
def test_odd_sizes_on_stride2(k, size):
    torch.manual_seed(0)
    op = PartialChannelMixedOp(8, 2, k=k).train()
    out = op(
        torch.randn(2, 8, size, size + 2),
        torch.full((len(DARTS_PRIMITIVES), ), 0.125))
    assert out.shape == (2, 8, (size + 1) // 2, (size + 3) // 2)
    for name in DARTS_PRIMITIVES:
        cand = build_darts_op(name, 4, 2, affine=False, pool_bn=True)
        assert cand(torch.randn(1, 4, size, size)).shape[-2:] == \
            ((size + 1) // 2, ) * 2, name


def test_factorized_reduce_even_matches_crop_definition():
    """On even sizes the zero-padded shift equals the reference's crop."""
    torch.manual_seed(0)
    fr = FactorizedReduce(4, 6).eval()
    x = torch.randn(2, 4, 8, 10)
    with torch.no_grad():
        relu = x.relu()
        expected = fr.bn(
            torch.cat([fr.conv_1(relu),
                       fr.conv_2(relu[:, :, 1:, 1:])], dim=1))
        torch.testing.assert_close(fr(x), expected, rtol=0, atol=0)
        assert fr(torch.randn(2, 4, 9, 7)).shape == (2, 6, 5, 4)


def test_mixed_op_errors():
    with pytest.raises(ValueError, match='k must be a positive divisor'):
        PartialChannelMixedOp(10, 1, k=4)
    with pytest.raises(ValueError, match="channel_mix"):
        PartialChannelMixedOp(8, 1, k=2, channel_mix='rotate')
    with pytest.raises(ValueError, match="unknown DARTS primitive 'conv_7x7'"):
        PartialChannelMixedOp(8, 1, primitives=['none', 'conv_7x7'])
    op = PartialChannelMixedOp(8, 1, k=2)
    with pytest.raises(ValueError, match=r'weights must have shape \(8,\)'):
        op(torch.randn(1, 8, 4, 4), torch.ones(7))
    with pytest.raises(ValueError, match='built for 8 channels'):
        op(torch.randn(1, 6, 4, 4), torch.ones(8))


# ------------------------------------------------------------ edge node
def test_edge_normalised_node():
    torch.manual_seed(0)
    edges = [PartialChannelMixedOp(4, 1, k=2) for _ in range(3)]
    states = [torch.randn(1, 4, 5, 5) for _ in range(3)]
    ops = torch.randn(3, len(DARTS_PRIMITIVES)).softmax(-1)
    beta = torch.tensor([0.2, 0.5, 0.3])
    normed = EdgeNormalisedNode(edges, normalise=True).eval()
    plain = EdgeNormalisedNode(edges, normalise=False).eval()
    with torch.no_grad():
        outs = [e(s, w) for e, s, w in zip(edges, states, ops)]
        torch.testing.assert_close(
            normed(states, ops, beta),
            0.2 * outs[0] + 0.5 * outs[1] + 0.3 * outs[2])
        torch.testing.assert_close(plain(states, ops), sum(outs))
    with pytest.raises(ValueError, match='pass edge_weights'):
        normed(states, ops)
    with pytest.raises(ValueError, match='takes no edge_weights'):
        plain(states, ops, beta)
    with pytest.raises(ValueError, match='has 3 input edges, got 2'):
        plain(states[:2], ops)


def test_edge_softmax_is_per_node():
    assert node_edge_slices(4) == [(0, 2), (2, 5), (5, 9), (9, 14)]
    beta = torch.randn(14)
    w = edge_softmax(beta, 4)
    for start, end in node_edge_slices(4):
        torch.testing.assert_close(w[start:end], beta[start:end].softmax(0))
    with pytest.raises(ValueError, match='14 entries'):
        edge_softmax(torch.randn(13), 4)


# -------------------------------------------------------------- network
def test_network_structure(net_oracle):
    net = _network(net_oracle)
    assert net.reduction_indices == tuple(
        net_oracle['config']['reduction_cells'])
    assert sum(p.numel() for p in net.parameters()) == \
        net_oracle['num_weight_params'] == 66586
    assert net.arch_param_shapes == {
        'alpha_normal': (14, 8),
        'alpha_reduce': (14, 8),
        'beta_normal': (14, ),
        'beta_reduce': (14, )
    }
    # Search-time ops carry no BN affine; only the stem BN does.
    affine = [
        n for n, m in net.named_modules()
        if isinstance(m, torch.nn.BatchNorm2d) and m.affine
    ]
    assert affine == ['stem.bn']
    # The converter covers every reference key, one to one.
    state, _ = converter.convert_state_dict(net_oracle['state_dict'])
    assert len(state) == len(net_oracle['state_dict_keys'])
    assert set(state) == set(net.state_dict())


def test_network_matches_reference(net_oracle):
    arch = _arch(net_oracle['arch_init'])
    net = _network(net_oracle).eval()
    with torch.no_grad():
        logits = net(net_oracle['input'], darts_arch_weights(arch))
    torch.testing.assert_close(logits, net_oracle['logits_eval'], **TOL)

    net = _network(net_oracle).train()
    leaves = {k: v.clone().requires_grad_() for k, v in arch.items()}
    logits = net(net_oracle['input'], darts_arch_weights(leaves))
    torch.testing.assert_close(logits, net_oracle['logits_train'], **TOL)
    loss = F.cross_entropy(logits, net_oracle['target'])
    torch.testing.assert_close(loss, net_oracle['loss_train'], **TOL)
    loss.backward()
    for name, grad in _arch(net_oracle['arch_grads_train']).items():
        torch.testing.assert_close(leaves[name].grad, grad, **TOL, msg=name)

    net = _network(net_oracle).eval()
    with torch.no_grad():
        logits = net(net_oracle['input'],
                     darts_arch_weights(_arch(net_oracle['arch_random'])))
    torch.testing.assert_close(logits, net_oracle['logits_eval_random_arch'],
                               **TOL)


def test_network_arch_weights_provider(net_oracle):
    net = _network(net_oracle).eval()
    weights = darts_arch_weights(_arch(net_oracle['arch_random']))
    with pytest.raises(RuntimeError, match='set_arch_weights_provider'):
        net(net_oracle['input'])
    net.set_arch_weights_provider(lambda: weights)
    with torch.no_grad():
        torch.testing.assert_close(
            net(net_oracle['input']), net_oracle['logits_eval_random_arch'],
            **TOL)
    missing_beta = {k: v for k, v in weights.items() if k != 'edges_reduce'}
    with pytest.raises(ValueError, match='edges_reduce of shape'):
        net(net_oracle['input'], missing_beta)


def test_darts_network_and_odd_sizes():
    """k=1 without edge normalisation (DARTS); odd inputs, both stems."""
    torch.manual_seed(0)
    net = DartsSearchNetwork(
        channels=4, num_layers=3, k=1, edge_normalisation=False)
    assert set(net.arch_param_shapes) == {'alpha_normal', 'alpha_reduce'}
    arch = {k: torch.randn(s) for k, s in net.arch_param_shapes.items()}
    weights = darts_arch_weights(arch)
    assert net(torch.randn(2, 3, 15, 13), weights).shape == (2, 10)
    with pytest.raises(ValueError, match='no edge normalisation'):
        net(
            torch.randn(2, 3, 8, 8),
            dict(
                weights,
                edges_normal=torch.ones(14),
                edges_reduce=torch.ones(14)))

    pc = DartsSearchNetwork(channels=4, num_layers=3, k=2, num_classes=None)
    arch = {k: torch.randn(s) for k, s in pc.arch_param_shapes.items()}
    feats = pc(torch.randn(2, 3, 17, 17), darts_arch_weights(arch))
    # 17 -> 9 -> 5 through two reductions; 4 nodes x 16 channels.
    assert isinstance(feats, tuple) and feats[0].shape == (2, 64, 5, 5)

    inet = MODELS.build(
        dict(
            type='DartsSearchNetwork',
            channels=4,
            num_layers=3,
            k=2,
            stem_type='imagenet'))
    assert isinstance(inet.cells[0].preprocess0, FactorizedReduce)
    assert inet.stem0.conv1.out_channels == 6
    assert inet.stem0.conv2.out_channels == inet.stem1.conv.out_channels == 12
    arch = {k: torch.randn(s) for k, s in inet.arch_param_shapes.items()}
    assert inet(torch.randn(2, 3, 67, 61),
                darts_arch_weights(arch)).shape == (2, 10)


# ------------------------------------------------------------- genotype
@pytest.mark.parametrize('arch_key,geno_key',
                         [('arch_init', 'genotype_init'),
                          ('arch_random', 'genotype_random')])
def test_genotype_matches_reference(net_oracle, arch_key, geno_key):
    genotype = derive_genotype(**_arch(net_oracle[arch_key]))
    expected = {k: v for k, v in net_oracle[geno_key].items() if k != 'repr'}
    assert genotype.to_dict() == expected
    assert Genotype.from_dict(net_oracle[geno_key]) == genotype


def test_genotype_rules():
    """Edges ranked by max non-none weight x softmax(beta); none never wins."""
    alpha = torch.zeros(14, 8)
    alpha[:, 0] = 10.  # 'none' dominates every edge but is never picked
    alpha[0, 4] = 2.  # node 0: edge from state 0 strongest by alpha ...
    alpha[1, 6] = 1.
    beta = torch.zeros(14)
    beta[1] = 3.  # ... but beta favours the edge from state 1
    alpha[2:, 3] = 1.  # later nodes: skip_connect ...
    alpha[2:, 7] = 1.  # ... tied with dil_conv_5x5: the earlier op wins
    darts = derive_genotype(alpha, alpha)
    assert darts.normal[:2] == [('sep_conv_3x3', 0), ('dil_conv_3x3', 1)]
    pc = derive_genotype(alpha, alpha, beta, beta)
    assert pc.normal[:2] == [('dil_conv_3x3', 1), ('sep_conv_3x3', 0)]
    # Tied edges keep state order, as the reference's stable sort does.
    assert pc.normal[2:] == [('skip_connect', j) for j in (0, 1) * 3]
    assert pc.normal_concat == pc.reduce_concat == [2, 3, 4, 5]
    with pytest.raises(ValueError, match='both beta_normal and beta_reduce'):
        derive_genotype(alpha, alpha, beta)
    with pytest.raises(ValueError, match=r'shape \(14, 8\)'):
        derive_genotype(alpha[:, :7], alpha)


@pytest.mark.parametrize('ext', ['yaml', 'json'])
def test_genotype_save_load(tmp_path, ext):
    genotype = GENOTYPES['PC_DARTS_cifar']
    path = str(tmp_path / f'genotype.{ext}')
    dump_genotype(genotype, path)
    assert load_genotype(path) == genotype
    bad = genotype.to_dict()
    bad['reduce'][3] = ['sep_conv_3x3', 3]  # node 1 can read states 0..2
    with pytest.raises(ValueError, match=r'reduce\[3\].*reads state 3'):
        Genotype.from_dict(bad)
    bad = copy.deepcopy(genotype.to_dict())
    bad['normal'][0] = ['none', 1]
    with pytest.raises(ValueError, match="op 'none' is not one of"):
        Genotype.from_dict(bad)
    with pytest.raises(ValueError, match='.yaml, .yml or .json'):
        dump_genotype(genotype, str(tmp_path / 'genotype.txt'))


def test_shipped_genotypes_are_valid():
    assert set(GENOTYPES) == {
        'PC_DARTS_cifar', 'PC_DARTS_image', 'DARTS_V1', 'DARTS_V2'
    }
    for genotype in GENOTYPES.values():
        genotype.validate()
    assert GENOTYPES['DARTS_V2'].normal[-1] == ('dil_conv_3x3', 2)


# ------------------------------------------------------------ converter
def test_converter_cli(tmp_path, net_oracle):
    src = str(tmp_path / 'ref.pt')
    dst = str(tmp_path / 'ours.pth')
    ref = dict(net_oracle['state_dict'])
    ref.update(net_oracle['arch_init'])  # arch tensors, if a file has them
    torch.save(ref, src)
    env = dict(
        os.environ,
        PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    subprocess.run([
        sys.executable, CONVERTER, src, dst, '--prefix', 'backbone.',
        '--classifier-prefix', 'head.fc.'
    ],
                   check=True,
                   env=env,
                   capture_output=True)
    ckpt = torch.load(dst, weights_only=True)
    state = ckpt['state_dict']
    assert 'head.fc.weight' in state and 'backbone.stem.conv.weight' in state
    net = _network(net_oracle)
    expected = {('head.fc.' + k[len('classifier.'):])
                if k.startswith('classifier.') else 'backbone.' + k
                for k in net.state_dict()}
    assert set(state) == expected
    assert set(ckpt['arch']) == set(net.arch_param_shapes)
    torch.testing.assert_close(ckpt['arch']['alpha_normal'],
                               net_oracle['arch_init']['alphas_normal'])


def test_converter_rejects_unknown_keys():
    with pytest.raises(KeyError, match='not a key of the reference'):
        converter.convert_key('cells.0.weird.weight')
    with pytest.raises(KeyError, match="primitive 'sep_conv_3x3'"):
        converter.convert_mixed_op_key('_ops.4.op.4.weight')


def test_reference_search_into_our_darts_algorithm(tmp_path, net_oracle):
    """Reference weights + alphas/betas -> our DARTS algorithm: the same
    logits (eval and train-mode BN) and exactly the same genotype."""
    from mmengine.registry import init_default_scope

    from mmrazor_lite.registry import MODELS
    src, dst = str(tmp_path / 'ref.pt'), str(tmp_path / 'ours.pth')
    torch.save(dict(net_oracle['state_dict'], **net_oracle['arch_init']), src)
    env = dict(
        os.environ,
        PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    subprocess.run([sys.executable, CONVERTER, src, dst, '--algorithm'],
                   check=True,
                   env=env,
                   capture_output=True)
    cfg = net_oracle['config']
    init_default_scope('mmrazor_lite')
    algo = MODELS.build(
        dict(
            type='DARTS',
            architecture=dict(
                type='ImageClassifier',
                backbone=dict(
                    type='DartsSearchNetwork',
                    channels=cfg['C'],
                    num_layers=cfg['layers'],
                    num_classes=None,
                    k=cfg['k'],
                    edge_normalisation=True),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(
                    type='LinearClsHead',
                    num_classes=10,
                    in_channels=_network(net_oracle).classifier.in_features))))
    state = torch.load(dst, weights_only=True)['state_dict']
    algo.load_state_dict(state, strict=True)
    assert algo.mutator.genotype().to_dict() == {
        k: v
        for k, v in net_oracle['genotype_init'].items() if k != 'repr'
    }
    algo.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            algo(net_oracle['input']), net_oracle['logits_eval'], **TOL)
    algo.train()
    torch.testing.assert_close(
        algo(net_oracle['input']), net_oracle['logits_train'], **TOL)
