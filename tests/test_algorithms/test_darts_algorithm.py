"""DARTS algorithm: architecture parameters, first / second-order steps."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample
from torch.func import functional_call

import mmrazor_lite  # noqa: F401
from mmrazor_lite.algorithms.darts_unrolled import (finite_difference_hvp,
                                                    unrolled_arch_grads,
                                                    virtual_step)
from mmrazor_lite.mutables import darts_arch_weights
from mmrazor_lite.mutators import DartsMutator
from mmrazor_lite.registry import MODELS
from mmrazor_lite.spaces import DartsSearchNetwork

OPTIM = dict(
    constructor='SeparateOptimWrapperConstructor',
    architecture=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=3e-4),
        clip_grad=dict(max_norm=5)),
    mutator=dict(
        optimizer=dict(
            type='Adam', lr=6e-4, betas=(0.5, 0.999), weight_decay=1e-3)))


def _darts(k=4, edge_normalisation=True, unroll=False):
    init_default_scope('mmrazor_lite')
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='DARTS',
            unroll=unroll,
            architecture=dict(
                type='ImageClassifier',
                backbone=dict(
                    type='DartsSearchNetwork',
                    channels=8,
                    num_layers=3,
                    num_classes=None,
                    k=k,
                    edge_normalisation=edge_normalisation),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(
                    type='LinearClsHead', num_classes=10, in_channels=128))))


def _batch(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[
            torch.randint(0, 255, (3, 16, 16), dtype=torch.uint8, generator=g)
            for _ in range(n)
        ],
        data_samples=[DataSample().set_gt_label(i % 10) for i in range(n)])


def test_arch_params_are_real_parameters(tmp_path):
    model = _darts()
    names = [n for n, _ in model.named_parameters() if n.startswith('mutator')]
    assert names == [
        'mutator.alpha_normal', 'mutator.alpha_reduce', 'mutator.beta_normal',
        'mutator.beta_reduce'
    ]
    assert model.mutator.alpha_normal.shape == (14, 8)
    assert model.mutator.beta_reduce.shape == (14, )
    assert 0 < model.mutator.alpha_normal.std() < 1e-2  # 1e-3 * N(0, 1)
    sd = model.state_dict()
    assert 'mutator.alpha_reduce' in sd
    # a checkpoint round trip restores them, and the genotype they choose
    torch.save({'state_dict': sd}, tmp_path / 'ckpt.pth')
    other = _darts()
    with torch.no_grad():
        other.mutator.alpha_normal.normal_()
    other.load_state_dict(
        torch.load(tmp_path / 'ckpt.pth', weights_only=True)['state_dict'])
    assert torch.equal(other.mutator.alpha_normal, model.mutator.alpha_normal)
    assert other.mutator.genotype() == model.mutator.genotype()
    # they move with the model, and the network keeps reading them
    model.to(torch.float64)
    assert model.mutator.alpha_normal.dtype == torch.float64
    out = model(torch.randn(2, 3, 16, 16, dtype=torch.float64))
    assert out.dtype == torch.float64
    # DARTS (k=1, no edge normalisation) has no beta
    assert [n for n, _ in _darts(1, False).mutator.named_parameters()] == \
        ['alpha_normal', 'alpha_reduce']


def test_mutator_finds_the_network_by_protocol():
    # any module with arch_param_shapes + set_arch_weights_provider is a
    # search network to the mutator; it must find exactly one
    net = DartsSearchNetwork(
        channels=4, num_layers=3, k=1, edge_normalisation=False)
    mutator = DartsMutator()
    mutator.prepare_from_supernet(torch.nn.Sequential(net))
    assert mutator.network is net
    assert net(torch.randn(1, 3, 8, 8)).shape == (1, 10)
    for model, found in ((torch.nn.Linear(2, 2), r'found 0: \[\]'),
                         (torch.nn.Sequential(net, copy.deepcopy(net)),
                          r"found 2: \['0 \(DartsSearchNetwork\)', '1 ")):
        with pytest.raises(
                ValueError,
                match='exactly one search network.*'
                'arch_param_shapes and set_arch_weights_provider' +
                f'.*{found}'):
            DartsMutator().prepare_from_supernet(model)


def test_first_order_step():
    model = _darts()
    wrappers = build_optim_wrapper(model, OPTIM)
    alpha = model.mutator.alpha_normal.detach().clone()
    stem = model.architecture.backbone.stem.conv.weight.detach().clone()
    # warm-up: no arch batch, the architecture stays
    log = model.train_step(dict(weights=_batch(), arch=None), wrappers)
    assert 'arch_loss' not in log
    assert torch.equal(model.mutator.alpha_normal, alpha)
    assert not torch.equal(model.architecture.backbone.stem.conv.weight, stem)
    # with an arch batch both move; no gradient is left lying around
    log = model.train_step(
        dict(weights=_batch(), arch=_batch(seed=1)), wrappers)
    assert torch.isfinite(log['arch_loss'])
    assert not torch.equal(model.mutator.alpha_normal, alpha)
    assert all(p.grad is None for p in model.mutator.parameters())
    with pytest.raises(TypeError, match='SeparateOptimWrapperConstructor'):
        model.train_step(
            dict(weights=_batch(), arch=None), wrappers['architecture'])


def test_weight_step_takes_the_architecture_as_constants():
    """The weight step's backward computes no architecture gradient (its
    cost, ~5-8 % of a CPU step, bought nothing: it was thrown away), and
    its weight gradients are those of the differentiable forward."""
    model = _darts()
    reference = copy.deepcopy(model)
    wrappers = build_optim_wrapper(model, OPTIM)
    reached = []
    for param in model.mutator.parameters():
        param.register_hook(lambda grad: reached.append(grad))
    grads = {}

    def keep_grads(module):
        grads.update((n, p.grad.clone())
                     for n, p in module.architecture.named_parameters()
                     if p.grad is not None)

    # the gradients as the optimizer sees them, before its step
    step = wrappers['architecture'].step
    wrappers['architecture'].step = lambda **kw: (keep_grads(model), step(**kw)
                                                  )
    model.train_step(dict(weights=_batch(), arch=None), wrappers)
    assert reached == []
    assert all(p.grad is None for p in model.mutator.parameters())
    # the same loss backpropagated with differentiable arch weights
    batch = reference.data_preprocessor(_batch(), True)
    loss, _ = reference.parse_losses(reference(**batch, mode='loss'))
    loss.backward()
    assert reference.mutator.alpha_normal.grad is not None
    expected = {
        n: p.grad
        for n, p in reference.architecture.named_parameters()
        if p.grad is not None
    }
    assert grads.keys() == expected.keys() and len(grads) > 100
    for name, grad in expected.items():
        torch.testing.assert_close(grads[name], grad, rtol=0, atol=0, msg=name)
    # back to differentiable after the step (the arch step needs it)
    assert model.mutator.arch_weights()['ops_normal'].requires_grad
    # DDP waits for no gradient of theirs (find_unused_parameters=False)
    assert set(model._ddp_params_and_buffers_to_ignore) == {
        'mutator.alpha_normal', 'mutator.alpha_reduce', 'mutator.beta_normal',
        'mutator.beta_reduce'
    }


def test_darts_needs_a_mutator_with_constant_weights():

    class Plain(torch.nn.Module):  # a mutator without the switch

        def __init__(self):
            super().__init__()
            self.inner = DartsMutator()

        def prepare_from_supernet(self, model):
            self.inner.prepare_from_supernet(model)

    with pytest.raises(TypeError, match='constant_weights.*DartsMutator'):
        MODELS.build(
            dict(
                type='DARTS',
                mutator=Plain(),
                architecture=dict(
                    type='ImageClassifier',
                    backbone=dict(
                        type='DartsSearchNetwork',
                        channels=4,
                        num_layers=3,
                        num_classes=None),
                    neck=dict(type='GlobalAveragePooling'),
                    head=dict(
                        type='LinearClsHead', num_classes=10,
                        in_channels=64))))


def _tiny_loss_setup():
    """A float64 search network, its weights and raw arch parameters."""
    torch.manual_seed(0)
    net = DartsSearchNetwork(
        channels=4, num_layers=3, num_classes=3, k=2,
        edge_normalisation=True).double()
    arch = {
        name:
        (0.5 * torch.randn(*shape, dtype=torch.float64)).requires_grad_()
        for name, shape in net.arch_param_shapes.items()
    }
    names = [n for n, _ in net.named_parameters()]
    weights = [p.detach().clone() for p in net.parameters()]
    buffers = dict(net.named_buffers())
    x = torch.randn(4, 3, 8, 8, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 1])

    def loss(ws, x=x, y=y):
        state = {n: b.clone() for n, b in buffers.items()}
        state.update(zip(names, ws))
        logits = functional_call(net, state, (x, darts_arch_weights(arch)))
        return F.cross_entropy(logits, y)

    return net, arch, weights, loss


def test_finite_difference_hvp_matches_autograd():
    _, arch, weights, loss = _tiny_loss_setup()
    arch = list(arch.values())
    torch.manual_seed(1)
    vector = [torch.randn_like(w) for w in weights]
    # the recipe's eps (0.01 / ||u||) is a step size for training; the
    # formula itself is checked with a step small enough for float64 to
    # resolve the derivative of this tiny, very non-linear net
    approx = finite_difference_hvp(loss, weights, arch, vector, 1e-4)
    # exact: d/da (grad_w L . u)
    leaf = [w.clone().requires_grad_() for w in weights]
    grad_w = torch.autograd.grad(loss(leaf), leaf, create_graph=True)
    dot = sum((g * u).sum() for g, u in zip(grad_w, vector))
    exact = torch.autograd.grad(dot, arch)
    for a, e in zip(approx, exact):
        assert e.abs().max() > 1e-6  # non-trivial
        torch.testing.assert_close(a, e, rtol=1e-6, atol=1e-8)
    # and it is not just any number: a wrong vector gives another result
    other = finite_difference_hvp(loss, weights, arch, [2 * u for u in vector],
                                  1e-4)
    torch.testing.assert_close(other[0], 2 * exact[0], rtol=1e-6, atol=1e-8)


def test_unrolled_gradient_equals_autograd_through_the_virtual_step():
    """The second-order gradient vs the exact derivative of
    L_val(w - xi * (grad_w L_train(w, a) + wd w + m v), a) w.r.t. a."""
    model = _darts(unroll=True)
    wrappers = build_optim_wrapper(model, OPTIM)
    net = model.architecture
    # a first step fills the momentum buffers the virtual step uses
    model.train_step(dict(weights=_batch(seed=3), arch=None), wrappers)
    model.double()
    optimizer = wrappers['architecture'].optimizer
    assert optimizer.state  # momentum buffers exist
    train = model.data_preprocessor(_batch(seed=4), True)
    val = model.data_preprocessor(_batch(seed=5), True)
    train['inputs'], val['inputs'] = train['inputs'].double(), \
        val['inputs'].double()
    arch = list(model.mutator.parameters())

    def loss_of(out):
        return model.parse_losses(out)[0]

    before = copy.deepcopy(net.state_dict())
    grads, _ = unrolled_arch_grads(
        net, loss_of, train, val, arch, optimizer, eps_scale=1e-5)
    # the model itself (weights and BN statistics) is untouched
    for key, value in net.state_dict().items():
        assert torch.equal(value, before[key]), key

    names = [n for n, p in net.named_parameters()]
    params = list(net.parameters())
    buffers = dict(net.named_buffers())

    def loss(ws, batch):
        state = {n: b.clone() for n, b in buffers.items()}
        state.update(zip(names, ws))
        return loss_of(
            functional_call(net, state, (), dict(batch, mode='loss')))

    w = [p.detach().clone().requires_grad_() for p in params]
    g = torch.autograd.grad(loss(w, train), w, create_graph=True)
    stepped = virtual_step(w, g, optimizer, params)
    exact = torch.autograd.grad(loss(stepped, val), arch)
    first_order = torch.autograd.grad(
        loss([s.detach() for s in stepped], val), arch)
    for got, want, first in zip(grads, exact, first_order):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-9)
        # the second-order term is really there
        assert (want - first).abs().max() > 10 * (got - want).abs().max()


class _ScaledOptimWrapper:
    """What DARTS reads of mmengine's AmpOptimWrapper (which needs a GPU):
    ``loss_scaler``, and a ``step`` that unscales through it and skips on
    inf; fp32 autocast, so the numbers can be compared with fp32."""

    def __init__(self, wrapper, init_scale):
        self.wrapper = wrapper
        self.optimizer = wrapper.optimizer
        self.loss_scaler = torch.amp.GradScaler('cpu', init_scale=init_scale)

    def optim_context(self, model):
        return self.wrapper.optim_context(model)

    def zero_grad(self):
        self.wrapper.zero_grad()

    def step(self):
        self.loss_scaler.step(self.optimizer)
        self.loss_scaler.update()


@pytest.mark.parametrize('unroll', [False, True])
def test_arch_step_with_a_loss_scaler(unroll):
    """The architecture step hands an AMP wrapper scaled gradients: after
    unscaling, the update is the fp32 one; on inf / nan it is skipped."""
    batches = dict(weights=_batch(4, 0), arch=_batch(4, 1))

    def update(scale, poison=False):
        model = _darts(unroll=unroll)
        if poison:  # inf logits: nan loss and gradients
            with torch.no_grad():
                model.architecture.head.fc.weight[0, 0] = float('inf')
        wrappers = build_optim_wrapper(model, OPTIM)
        if scale is not None:
            # _arch_step only indexes it (OptimWrapperDict takes no fakes)
            wrappers = dict(
                architecture=wrappers['architecture'],
                mutator=_ScaledOptimWrapper(wrappers['mutator'], scale))
        before = model.mutator.alpha_normal.detach().clone()
        model._arch_step(batches, wrappers)
        return model.mutator.alpha_normal.detach() - before

    plain = update(None)
    assert plain.abs().sum() > 0
    # 1024 is a power of two: scaling and unscaling are exact
    torch.testing.assert_close(update(1024.0), plain, rtol=0, atol=0)
    # nan gradients: without a scaler they reach alpha, with one the step
    # is skipped
    assert update(None, poison=True).isnan().any()
    assert torch.equal(update(1024.0, poison=True), torch.zeros_like(plain))
