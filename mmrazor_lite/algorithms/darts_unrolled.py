"""Second-order (unrolled) architecture gradient of DARTS.

The architecture is trained on the loss of the validation split *after* one
virtual weight step::

    w' = w - xi * (momentum * v + grad_w L_train(w, a) + wd * w)
    d/da L_val(w', a) = grad_a L_val(w', a)
                        - xi * grad2_{a,w} L_train(w, a) . grad_w' L_val(w', a)

``xi`` is the weight optimizer's current learning rate (``v`` its momentum
buffer, ``wd`` its weight decay, per parameter group). The mixed second
derivative times a vector is the finite difference (DARTS, eq. 8)::

    [grad_a L_train(w + eps u, a) - grad_a L_train(w - eps u, a)] / (2 eps),
    u = grad_w' L_val(w', a), eps = 0.01 / ||u||

Every forward here runs on the model's weights swapped out functionally
(``torch.func.functional_call``) with *cloned* BN buffers, so the four extra
forwards neither copy the model nor disturb its running statistics.
"""
from typing import Callable, Dict, List, Sequence, Tuple

import torch
from torch.func import functional_call

Loss = Callable[[Sequence[torch.Tensor]], torch.Tensor]


def finite_difference_hvp(train_loss: Loss, weights: Sequence[torch.Tensor],
                          arch: Sequence[torch.Tensor],
                          vector: Sequence[torch.Tensor],
                          eps_scale: float = 0.01) -> List[torch.Tensor]:
    """``grad2_{a,w} L(w, a) . vector`` by a central finite difference.

    Args:
        train_loss: ``train_loss(weights)`` -> scalar; depends on ``arch``.
        weights: the point ``w``; vector: ``u`` (same shapes).
        arch: the tensors the result is the gradient for.
        eps_scale: ``eps = eps_scale / ||u||``.
    """
    norm = torch.sqrt(sum((u.detach() ** 2).sum() for u in vector))
    eps = eps_scale / norm.clamp_min(1e-12)
    grads = []
    for sign in (1.0, -1.0):
        shifted = [w.detach() + sign * eps * u.detach()
                   for w, u in zip(weights, vector)]
        grads.append(torch.autograd.grad(train_loss(shifted), arch,
                                         allow_unused=True))
    return [(_zero_if_none(p, a) - _zero_if_none(m, a)) / (2 * eps)
            for p, m, a in zip(grads[0], grads[1], arch)]


def _zero_if_none(grad, like):
    return torch.zeros_like(like) if grad is None else grad


def virtual_step(weights: Sequence[torch.Tensor],
                 grads: Sequence[torch.Tensor],
                 optimizer: torch.optim.Optimizer,
                 params: Sequence[torch.nn.Parameter]) -> List[torch.Tensor]:
    """``w'``: one SGD step as ``optimizer`` would take it, off the model."""
    group_of = {id(p): g for g in optimizer.param_groups for p in g['params']}
    stepped = []
    for w, g, p in zip(weights, grads, params):
        group = group_of.get(id(p))
        if group is None:
            raise ValueError('a weight of the model is not in the weight '
                             'optimizer; the unrolled step needs all of them')
        direction = g + group.get('weight_decay', 0.0) * w
        buffer = optimizer.state.get(p, {}).get('momentum_buffer')
        if buffer is not None and group.get('momentum', 0.0):
            direction = direction + group['momentum'] * buffer
        stepped.append(w - group['lr'] * direction)
    return stepped


def unrolled_arch_grads(
        network: torch.nn.Module, loss_of: Callable[[Dict], torch.Tensor],
        train_batch: dict, val_batch: dict, arch: Sequence[torch.Tensor],
        optimizer: torch.optim.Optimizer,
        eps_scale: float = 0.01) -> Tuple[List[torch.Tensor], torch.Tensor]:
    """The unrolled architecture gradient and ``L_val(w', a)``.

    Args:
        network: the module whose weights are unrolled (its parameters that
            require grad are the weights; ``arch`` reaches it otherwise,
            e.g. through a provider).
        loss_of: ``loss_of(outputs)`` turns ``network(**batch,
            mode='loss')``'s output into a scalar.
        train_batch / val_batch: preprocessed batches (``inputs``,
            ``data_samples``).
        arch: the architecture parameters.
        optimizer: the weight optimizer (lr, momentum, weight decay).
    """
    names = [n for n, p in network.named_parameters() if p.requires_grad]
    params = [p for _, p in network.named_parameters() if p.requires_grad]
    buffers = dict(network.named_buffers())

    def loss(weights, batch):
        state = {n: b.clone() for n, b in buffers.items()}
        state.update(zip(names, weights))
        return loss_of(functional_call(network, state, (), dict(
            batch, mode='loss')))

    weights = [p.detach() for p in params]
    leaf = [p.detach().clone().requires_grad_() for p in params]
    train_grads = torch.autograd.grad(loss(leaf, train_batch), leaf,
                                      allow_unused=True)
    train_grads = [_zero_if_none(g, w) for g, w in zip(train_grads, leaf)]
    unrolled = [w.detach().requires_grad_() for w in virtual_step(
        weights, train_grads, optimizer, params)]

    val_loss = loss(unrolled, val_batch)
    grads = torch.autograd.grad(val_loss, list(arch) + unrolled,
                                allow_unused=True)
    arch_grads = [_zero_if_none(g, a) for g, a in zip(grads, arch)]
    vector = [_zero_if_none(g, w)
              for g, w in zip(grads[len(arch):], unrolled)]
    hvp = finite_difference_hvp(lambda w: loss(w, train_batch), weights,
                                arch, vector, eps_scale)
    # xi: the weight learning rate (DARTS takes the first group's)
    xi = optimizer.param_groups[0]['lr']
    return [g - xi * h for g, h in zip(arch_grads, hvp)], val_loss.detach()
