"""DartsEvalNetwork / DartsEvalHead: reference parity, sizes, drop path."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

import mmrazor_lite  # noqa: F401
from mmrazor_lite.estimators import count_flops_params
from mmrazor_lite.registry import MODELS
from mmrazor_lite.spaces import DartsEvalCell, DartsEvalHead, DartsEvalNetwork
from mmrazor_lite.spaces.darts_eval_network import drop_path
from mmrazor_lite.structures.genotype import GENOTYPES, Genotype, dump_genotype
from helpers.paths import REPO
from helpers.tools import load_module

DATA = osp.join(REPO, 'tests', 'data')

# The converter imports its sibling key table as a top-level module (its
# directory is on sys.path when it runs as a script): load_module registers
# it under that name.
load_module('tools/model_converters/darts_reference_keys.py')
converter = load_module(
    'tools/model_converters/pcdarts_eval_to_mmrazor_lite.py',
    'pcdarts_eval_converter')


@pytest.fixture(scope='module', autouse=True)
def one_thread(one_torch_thread):
    """One intra-op thread (conftest), our default scope."""
    init_default_scope('mmrazor_lite')


@pytest.fixture(scope='module')
def oracle():
    return torch.load(
        osp.join(DATA, 'pcdarts_eval_cifar.pt'), weights_only=True)


def build_classifier(genotype,
                     channels,
                     layers,
                     num_classes=10,
                     stem_type='cifar',
                     auxiliary=True,
                     aux_weight=0.4,
                     loss=None):
    """The ImageClassifier the configs build: backbone tuple -> head."""
    backbone = MODELS.build(
        dict(
            type='DartsEvalNetwork',
            genotype=genotype,
            channels=channels,
            num_layers=layers,
            stem_type=stem_type,
            auxiliary=auxiliary))
    head = dict(
        type='DartsEvalHead',
        num_classes=num_classes,
        in_channels=backbone.out_channels,
        aux_channels=backbone.aux_channels,
        aux_weight=aux_weight,
        aux_type=stem_type)
    if loss is not None:
        head['loss'] = loss
    return MODELS.build(
        dict(type='ImageClassifier', backbone=backbone, neck=None, head=head))


def small_model(oracle, **kwargs):
    """The oracle's ``small`` NetworkCIFAR(16, 10, 8), reference weights."""
    small = oracle['small']
    model = build_classifier(oracle['genotype'], small['C'], small['layers'],
                             small['num_classes'], **kwargs)
    state_dict = converter.convert_state_dict(small['state_dict'],
                                              oracle['genotype'])
    model.load_state_dict(state_dict, strict=True)
    return model


def n_params(module):
    return sum(p.numel() for p in module.parameters())


# ------------------------------------------------------------------ parity
def test_eval_logits_match_reference(oracle):
    model = small_model(oracle).eval()
    assert model.backbone.reduction_indices == tuple(
        oracle['small']['reduction_cells'])
    with torch.no_grad():
        logits = model(oracle['small']['input'], mode='tensor')
    torch.testing.assert_close(
        logits, oracle['small']['logits_eval'], rtol=0, atol=1e-5)


def test_train_logits_and_aux_logits_match_reference(oracle):
    model = small_model(oracle).train()
    assert model.backbone.aux_index == oracle['small']['aux_after_cell']
    feats = model.extract_feat(oracle['small']['input'])
    assert len(feats) == 2
    torch.testing.assert_close(
        model.head(feats), oracle['small']['logits_train'], rtol=0, atol=1e-5)
    # The aux head ends in a train-mode BN over 2 samples of 1x1 maps (batch
    # variances down to 2e-7, below eps): float32 noise is amplified, ours
    # and the reference's both sit ~3e-5 from a float64 run. Hence the rtol.
    torch.testing.assert_close(
        model.head.forward_aux(feats),
        oracle['small']['logits_aux_train'],
        rtol=1e-4,
        atol=1e-5)


# ------------------------------------------------------------- param counts
@pytest.mark.parametrize('name,total,excl_aux', [
    ('PC_DARTS_cifar', 4_111_104, 3_634_678),
    ('DARTS_V2', None, 3_349_342),
    ('DARTS_V1', None, 3_169_414),
])
def test_cifar_param_counts(name, total, excl_aux):
    model = build_classifier(name, 36, 20)
    assert model.backbone.out_channels == model.backbone.aux_channels == 576
    aux = n_params(model.head.auxiliary_head)
    assert n_params(model) - aux == excl_aux
    if total is not None:
        assert n_params(model) == total


def test_imagenet_params_and_flops():
    ref = torch.load(
        osp.join(DATA, 'pcdarts_eval_imagenet.pt'), weights_only=True)
    model = build_classifier('PC_DARTS_image', 48, 14, 1000, 'imagenet')
    assert model.backbone.reduction_indices == (4, 9)
    assert n_params(model) == ref['params_total'] == 6_603_240
    assert (n_params(model) - n_params(model.head.auxiliary_head) ==
            ref['params_excl_aux'] == 5_342_464)
    # eval mode: the aux head is not run, so its FLOPs are not counted
    flops, _ = count_flops_params(model, (1, 3, 224, 224), 'conv_linear')
    assert flops == ref['macs_conv_linear'] == 580_859_328 + 768_000
    flops, _ = count_flops_params(model, (1, 3, 224, 224), 'fvcore')
    assert flops == ref['fvcore_total'] == 590_583_744


# ---------------------------------------------------------------- drop path
def test_drop_path_is_per_sample_and_rescaled():
    torch.manual_seed(0)
    out = drop_path(torch.ones(64, 3, 4, 4), 0.5)
    per_sample = out.flatten(1)
    # one draw per sample: each sample is all 0 or all 1 / 0.5
    assert torch.equal(per_sample.min(1).values, per_sample.max(1).values)
    assert set(per_sample[:, 0].tolist()) == {0.0, 2.0}


def _genotype(normal, reduce, normal_concat=(2, 3, 4, 5)):
    return Genotype(normal, list(normal_concat), reduce, [2, 3, 4, 5])


def test_cell_drops_ops_per_sample():
    pools = [('max_pool_3x3', 0), ('avg_pool_3x3', 1)] * 4
    cell = DartsEvalCell(
        _genotype(pools, pools, normal_concat=[2]),
        8,
        8,
        8,
        reduction=False,
        reduction_prev=False).train()
    s0, s1 = torch.randn(32, 8, 6, 6), torch.randn(32, 8, 6, 6)
    with torch.no_grad():
        # pools carry no BN: their inputs a, b are the preprocessed states
        a = cell.ops[0](cell.preprocess0(s0))
        b = cell.ops[1](cell.preprocess1(s1))
        torch.manual_seed(0)
        out = cell(s0, s1, drop_prob=0.5)
    assert torch.allclose(cell(s0, s1, 0.0), a + b, atol=1e-6)
    kinds = []
    for i in range(32):
        options = [
            torch.zeros_like(a[i]), 2 * a[i], 2 * b[i], 2 * a[i] + 2 * b[i]
        ]
        match = [
            j for j, o in enumerate(options)
            if torch.allclose(out[i], o, atol=1e-5)
        ]
        assert match, f'sample {i} is no per-sample mask of the two ops'
        kinds.append(match[0])
    assert len(set(kinds)) == 4  # the masks differ across the batch


def test_identity_edges_are_never_dropped():
    skips = [('skip_connect', 0), ('skip_connect', 1)] * 4
    x0, x1 = torch.randn(16, 8, 6, 6), torch.randn(16, 8, 6, 6)
    # stride 1: every op is an identity, so drop path changes nothing
    normal = DartsEvalCell(_genotype(skips, skips), 8, 8, 8, False,
                           False).train()
    torch.manual_seed(0)
    assert torch.equal(normal(x0, x1, 0.9), normal(x0, x1, 0.0))
    # stride 2: skip_connect is a FactorizedReduce, which is dropped
    reduce = DartsEvalCell(_genotype(skips, skips), 8, 8, 8, True,
                           False).train()
    torch.manual_seed(0)
    assert not torch.allclose(reduce(x0, x1, 0.9), reduce(x0, x1, 0.0))


def test_network_drop_path_train_only(oracle):
    model = small_model(oracle)
    x = oracle['small']['input'].repeat(4, 1, 1, 1)
    backbone = model.backbone
    assert backbone.drop_path_prob == 0.0 and isinstance(
        backbone.drop_path_prob, float)
    with torch.no_grad():
        model.eval()
        clean_eval = model(x, mode='tensor')
        backbone.drop_path_prob = 0.5  # as the schedule hook sets it
        torch.testing.assert_close(
            model(x, mode='tensor'), clean_eval, rtol=0, atol=0)
        model.train()
        torch.manual_seed(0)
        dropped = model(x, mode='tensor')
        backbone.drop_path_prob = 0.0
        clean_train = model(x, mode='tensor')
    assert not torch.allclose(dropped, clean_train, atol=1e-3)


# --------------------------------------------------------------------- loss
def _samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def test_loss_is_main_plus_weighted_aux(oracle):
    model = small_model(oracle).train()
    small = oracle['small']
    labels = torch.tensor([3, 7])
    losses = model(small['input'], _samples(labels), mode='loss')
    assert set(losses) == {'loss', 'loss_aux'}
    main = F.cross_entropy(small['logits_train'], labels)
    aux = F.cross_entropy(small['logits_aux_train'], labels)
    torch.testing.assert_close(losses['loss'], main, rtol=0, atol=1e-5)
    torch.testing.assert_close(
        losses['loss_aux'], 0.4 * aux, rtol=0, atol=1e-5)
    total, _ = model.parse_losses(losses)
    torch.testing.assert_close(total, main + 0.4 * aux, rtol=0, atol=1e-5)


def test_label_smoothing_and_soft_labels_reach_both_heads(oracle):
    loss = dict(
        type='LabelSmoothLoss',
        label_smooth_val=0.1,
        num_classes=10,
        mode='original')
    small = oracle['small']
    labels = torch.tensor([3, 7])
    target = F.one_hot(labels, 10).float() * 0.9 + 0.01

    def smooth_ce(logits):
        return -(target * logits.log_softmax(1)).sum(1).mean()

    for samples in (_samples(labels), [
            DataSample().set_gt_score(F.one_hot(y, 10).float()) for y in labels
    ]):
        model = small_model(oracle, loss=loss).train()
        losses = model(small['input'], samples, mode='loss')
        torch.testing.assert_close(
            losses['loss'],
            smooth_ce(small['logits_train']),
            rtol=0,
            atol=1e-5)
        torch.testing.assert_close(
            losses['loss_aux'],
            0.4 * smooth_ce(small['logits_aux_train']),
            rtol=0,
            atol=1e-5)


def test_predict_uses_the_main_classifier_only(oracle):
    model = small_model(oracle).eval()
    with torch.no_grad():
        for p in model.head.auxiliary_head.parameters():
            p.normal_()  # a broken aux head must not matter at test
        preds = model(oracle['small']['input'], mode='predict')
    scores = torch.stack([p.pred_score for p in preds])
    torch.testing.assert_close(
        scores, oracle['small']['logits_eval'].softmax(1), rtol=0, atol=1e-5)


def test_head_without_aux():
    model = build_classifier('DARTS_V2', 8, 5, auxiliary=False, aux_weight=0)
    assert model.backbone.aux_channels is None
    assert model.head.auxiliary_head is None
    x = torch.randn(2, 3, 16, 16)
    assert len(model.backbone(x)) == 1
    losses = model(x, _samples([0, 1]), mode='loss')
    assert set(losses) == {'loss'}
    with pytest.raises(RuntimeError, match='no auxiliary head'):
        model.head.forward_aux(model.backbone(x))
    # an aux head fed by a backbone built without auxiliary=True
    head = DartsEvalHead(10, 128, aux_channels=128)
    with pytest.raises(ValueError, match='auxiliary=True'):
        head.forward_aux(model.backbone(x))


# -------------------------------------------------------- genotype arguments
def test_genotype_argument_forms(tmp_path, oracle):
    reference = GENOTYPES['PC_DARTS_cifar']
    yaml_path, json_path = str(tmp_path / 'g.yaml'), str(tmp_path / 'g.json')
    dump_genotype(reference, yaml_path)
    dump_genotype(reference, json_path)
    for form in (reference, 'PC_DARTS_cifar', oracle['genotype'],
                 reference.to_dict(), yaml_path, json_path):
        net = DartsEvalNetwork(form, 8, 5)
        assert net.genotype == reference
        assert [type(op).__name__ for op in net.cells[0].ops] == [
            'SepConv', 'Identity', 'SepConv', 'DilConv', 'SepConv', 'SepConv',
            'AvgPool2d', 'DilConv'
        ]
    # the reduce cells use the reduce genotype, stride 2 on inputs 0/1 only
    reduce_cell = net.cells[1]
    assert reduce_cell.reduction and type(reduce_cell.ops[1]).__name__ == \
        'MaxPool2d' and reduce_cell.ops[1].stride == 2
    assert reduce_cell.ops[3].conv1.depthwise.stride == (1, 1)  # input 2


def test_genotype_argument_errors(tmp_path):
    with pytest.raises(ValueError, match='shipped name'):
        DartsEvalNetwork('PC_DARTS_cifra')
    with pytest.raises(ValueError, match='shipped name'):
        DartsEvalNetwork(str(tmp_path / 'missing.yaml'))
    with pytest.raises(TypeError, match='genotype must be'):
        DartsEvalNetwork(3)
    bad = GENOTYPES['DARTS_V2'].to_dict()
    bad['normal'][0] = ['conv_7x7', 0]
    with pytest.raises(ValueError, match='conv_7x7'):
        DartsEvalNetwork(bad)
    with pytest.raises(ValueError, match="'none'|is not one of"):
        DartsEvalNetwork(
            Genotype([('none', 0)] * 8, [2, 3, 4, 5], [('none', 0)] * 8,
                     [2, 3, 4, 5]))
    with pytest.raises(ValueError, match='stem_type'):
        DartsEvalNetwork('DARTS_V2', stem_type='mnist')
    with pytest.raises(ValueError, match='aux_type'):
        DartsEvalHead(10, 64, aux_channels=64, aux_type='mnist')


# ---------------------------------------------------------------- odd sizes
@pytest.mark.parametrize('stem_type,size,aux_size', [('cifar', 31, 8),
                                                     ('cifar', 33, 9),
                                                     ('imagenet', 223, 7)])
def test_odd_input_sizes(stem_type, size, aux_size):
    model = build_classifier('PC_DARTS_image', 8, 5, stem_type=stem_type)
    model.backbone.drop_path_prob = 0.2
    x = torch.randn(2, 3, size, size)
    model.train()
    aux_map, final_map = model.extract_feat(x)
    assert aux_map.shape[-2:] == (aux_size, aux_size)
    assert aux_map.shape[1] == model.backbone.aux_channels
    assert final_map.shape[1] == model.backbone.out_channels
    losses = model(x, _samples([0, 1]), mode='loss')
    sum(losses.values()).backward()
    model.eval()
    with torch.no_grad():
        assert model(x, mode='tensor').shape == (2, 10)


def test_aux_head_rejects_maps_it_cannot_reduce():
    model = build_classifier('DARTS_V1', 8, 5).train()
    with pytest.raises(ValueError, match='8x8'):
        model(torch.randn(2, 3, 64, 64), _samples([0, 1]), mode='loss')


# ---------------------------------------------------------------- converter
def test_converter_cli_and_prefixes(tmp_path, oracle):
    small = oracle['small']
    src, dst = str(tmp_path / 'ref.pth'), str(tmp_path / 'ours.pth')
    # DataParallel checkpoints carry a module. prefix
    torch.save({f'module.{k}': v for k, v in small['state_dict'].items()}, src)
    converter.main([src, dst, '--genotype', 'PC_DARTS_cifar'])
    ckpt = torch.load(dst, weights_only=True)
    assert set(ckpt) == {'state_dict', 'meta'}
    assert ckpt['meta']['genotype'] == GENOTYPES['PC_DARTS_cifar'].to_dict()
    expected = converter.convert_state_dict(small['state_dict'],
                                            'PC_DARTS_cifar')
    assert list(ckpt['state_dict']) == list(expected)
    assert 'head.auxiliary_head.features.bn2.weight' in expected
    assert 'backbone.cells.7.ops.7.depthwise.weight' in expected


def test_converter_imagenet_keys():
    model = build_classifier(
        'PC_DARTS_image', 8, 5, num_classes=10, stem_type='imagenet')
    ours = model.state_dict()
    ref_keys = [
        'stem0.0.weight',
        'stem0.1.bias',
        'stem0.3.weight',
        'stem0.4.running_var',
        'stem1.1.weight',
        'stem1.2.weight',
        'cells.0.preprocess0.conv_1.weight',
        'cells.0.preprocess0.bn.running_mean',
        'cells.1._ops.1.conv_2.weight',  # stride-2 skip_connect
        'cells.4._ops.7.op.2.weight',  # dil_conv_5x5 pointwise
        'auxiliary_head.features.5.weight',
        'auxiliary_head.classifier.bias',
        'classifier.weight'
    ]
    out = converter.convert_state_dict({k: torch.zeros(1)
                                        for k in ref_keys}, 'PC_DARTS_image')
    assert len(out) == len(ref_keys) and set(out) <= set(ours)


def test_converter_lists_unknown_keys(oracle):
    state_dict = dict(oracle['small']['state_dict'])
    state_dict['foo.weight'] = torch.zeros(1)
    # a sep_conv key on a cell op that is a pool (normal pair 6)
    state_dict['cells.0._ops.6.op.1.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match=r'2 keys.*foo\.weight.*_ops\.6'):
        converter.convert_state_dict(state_dict, oracle['genotype'])
