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


def finite_difference_hvp(train_loss: Loss,
                          weights: Sequence[torch.Tensor],
                          arch: Sequence[torch.Tensor],
                          vector: Sequence[torch.Tensor],
                          eps_scale: float = 0.01) -> List[torch.Tensor]:
    """Compute ``grad2_{a,w} L(w, a) . vector`` by a central difference.

    This is the mixed second derivative times a vector of DARTS, eq. 8:
    ``[grad_a L(w + eps u, a) - grad_a L(w - eps u, a)] / (2 eps)``.

    Args:
        train_loss (Callable): The loss function: ``train_loss(weights)``
            returns a scalar loss that depends on ``arch``.
        weights (Sequence[torch.Tensor]): The point ``w`` the difference is
            taken around.
        arch (Sequence[torch.Tensor]): The tensors the result is the
            gradient for.
        vector (Sequence[torch.Tensor]): The direction ``u``, in the same
            shapes as ``weights``.
        eps_scale (float): The scale of the step: ``eps = eps_scale /
            ||u||``. Defaults to 0.01.

    Returns:
        List[torch.Tensor]: One tensor per entry of ``arch``, in its shape;
        zeros where the loss does not depend on it.
    """
    norm = torch.sqrt(sum((u.detach()**2).sum() for u in vector))
    eps = eps_scale / norm.clamp_min(1e-12)
    grads = []
    for sign in (1.0, -1.0):
        shifted = [
            w.detach() + sign * eps * u.detach()
            for w, u in zip(weights, vector)
        ]
        grads.append(
            torch.autograd.grad(train_loss(shifted), arch, allow_unused=True))
    return [(_zero_if_none(p, a) - _zero_if_none(m, a)) / (2 * eps)
            for p, m, a in zip(grads[0], grads[1], arch)]


def _zero_if_none(grad, like):
    return torch.zeros_like(like) if grad is None else grad


def virtual_step(weights: Sequence[torch.Tensor],
                 grads: Sequence[torch.Tensor],
                 optimizer: torch.optim.Optimizer,
                 params: Sequence[torch.nn.Parameter]) -> List[torch.Tensor]:
    """Compute ``w'``: one SGD step as ``optimizer`` would take it.

    The step is taken off the model: neither the parameters nor the
    optimizer state change.

    Args:
        weights (Sequence[torch.Tensor]): The current weights ``w``.
        grads (Sequence[torch.Tensor]): Their training-loss gradients.
        optimizer (torch.optim.Optimizer): The weight optimizer, whose
            learning rate, momentum buffers and weight decay (per parameter
            group) the step uses.
        params (Sequence[torch.nn.Parameter]): The model parameters that
            ``weights`` stand for, in the same order; they locate each
            weight's parameter group and momentum buffer.

    Returns:
        List[torch.Tensor]: The stepped weights ``w'``.

    Raises:
        ValueError: If a parameter is in none of the optimizer's groups.
    """
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
        network: torch.nn.Module,
        loss_of: Callable[[Dict], torch.Tensor],
        train_batch: dict,
        val_batch: dict,
        arch: Sequence[torch.Tensor],
        optimizer: torch.optim.Optimizer,
        eps_scale: float = 0.01) -> Tuple[List[torch.Tensor], torch.Tensor]:
    """Compute the unrolled architecture gradient and ``L_val(w', a)``.

    Args:
        network (torch.nn.Module): The module whose weights are unrolled.
            Its parameters that require grad are the weights; ``arch``
            reaches it otherwise, e.g. through an arch-weights provider.
        loss_of (Callable): The loss reduction: ``loss_of(outputs)`` turns
            the output of ``network(**batch, mode='loss')`` into a scalar.
        train_batch (dict): The preprocessed training batch (``inputs``,
            ``data_samples``).
        val_batch (dict): The preprocessed validation batch (``inputs``,
            ``data_samples``).
        arch (Sequence[torch.Tensor]): The architecture parameters.
        optimizer (torch.optim.Optimizer): The weight optimizer; its
            learning rate, momentum and weight decay make the virtual step.
        eps_scale (float): The scale of the finite-difference step:
            ``eps = eps_scale / ||u||``. Defaults to 0.01.

    Returns:
        Tuple[List[torch.Tensor], torch.Tensor]: The gradient of each
        entry of ``arch`` and the detached validation loss after the
        virtual step.

    Raises:
        ValueError: If a weight of ``network`` is not in ``optimizer``.
    """
    names = [n for n, p in network.named_parameters() if p.requires_grad]
    params = [p for _, p in network.named_parameters() if p.requires_grad]
    buffers = dict(network.named_buffers())

    def loss(weights, batch):
        state = {n: b.clone() for n, b in buffers.items()}
        state.update(zip(names, weights))
        return loss_of(
            functional_call(network, state, (), dict(batch, mode='loss')))

    weights = [p.detach() for p in params]
    leaf = [p.detach().clone().requires_grad_() for p in params]
    train_grads = torch.autograd.grad(
        loss(leaf, train_batch), leaf, allow_unused=True)
    train_grads = [_zero_if_none(g, w) for g, w in zip(train_grads, leaf)]
    unrolled = [
        w.detach().requires_grad_()
        for w in virtual_step(weights, train_grads, optimizer, params)
    ]

    val_loss = loss(unrolled, val_batch)
    grads = torch.autograd.grad(
        val_loss, list(arch) + unrolled, allow_unused=True)
    arch_grads = [_zero_if_none(g, a) for g, a in zip(grads, arch)]
    vector = [_zero_if_none(g, w) for g, w in zip(grads[len(arch):], unrolled)]
    hvp = finite_difference_hvp(lambda w: loss(w, train_batch), weights, arch,
                                vector, eps_scale)
    # xi: the weight learning rate (DARTS takes the first group's)
    xi = optimizer.param_groups[0]['lr']
    return [g - xi * h for g, h in zip(arch_grads, hvp)], val_loss.detach()
