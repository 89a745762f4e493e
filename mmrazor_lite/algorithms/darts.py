"""DARTS: differentiable architecture search (PC-DARTS is a config of it)."""
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
from mmengine.dist import all_reduce, get_world_size
from mmengine.optim import OptimWrapperDict
from torch.nn.parallel import DistributedDataParallel

from mmrazor_lite.registry import MODELS
from .base_algorithm import NASAlgorithm
from .darts_unrolled import unrolled_arch_grads


@MODELS.register_module()
class DARTS(NASAlgorithm):
    """Bi-level search of a DARTS / PC-DARTS search network.

    Each training step takes ``dict(weights=BATCH, arch=BATCH or None)``
    (the :class:`DartsTrainLoop` packs them) and an ``OptimWrapperDict``
    with ``architecture`` (the network's weights: SGD, grad clip 5) and
    ``mutator`` (the architecture parameters: Adam, optional clip):

    1. If ``arch`` is given, an architecture step on it. To first order
       this is the gradient of the loss on that batch; with ``unroll=True``
       it is the DARTS second-order gradient through one virtual weight
       step (see :mod:`.darts_unrolled`). Under DDP the architecture
       gradients are averaged over ranks before the step, so every rank
       keeps identical parameters and derives the same genotype.
    2. A weight step on ``weights``, through DDP when distributed.

    PC-DARTS is this algorithm over a search network with ``k > 1`` and
    edge normalisation; DARTS is ``k=1`` without it.

    Args:
        architecture (dict | nn.Module): An mmpretrain ``ImageClassifier``
            whose backbone is a :class:`DartsSearchNetwork`, or the config
            to build it from.
        mutator (dict | nn.Module): The mutator owning the architecture
            parameters. It must offer ``constant_weights()``, as
            :class:`DartsMutator` does. Defaults to
            ``dict(type='DartsMutator')``.
        unroll (bool): Whether to take the second-order (unrolled)
            architecture gradient instead of the first-order one.
            Defaults to False.
        unroll_eps (float): The scale of the finite-difference step of the
            unrolled gradient: ``eps = unroll_eps / ||u||``.
            Defaults to 0.01.
        data_preprocessor (dict | nn.Module, optional): The data
            preprocessor; see :class:`NASAlgorithm`. Defaults to None.
        init_cfg (dict, optional): The initialisation config of mmengine's
            ``BaseModule``. Defaults to None.

    Raises:
        TypeError: If the mutator has no ``constant_weights()``.
    """

    #: NASDistributedDataParallel hands train_step to this model: a step
    #: runs two forwards with two optimizers.
    owns_train_step = True
    ddp_find_unused_parameters = False

    def __init__(self,
                 architecture: Union[dict, nn.Module],
                 mutator: Union[dict, nn.Module] = dict(type='DartsMutator'),
                 unroll: bool = False,
                 unroll_eps: float = 0.01,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(architecture, mutator, data_preprocessor, init_cfg)
        if not hasattr(self.mutator, 'constant_weights'):
            raise TypeError(
                f'DARTS needs a mutator with constant_weights() (the weight '
                f'step takes the architecture as constants), such as '
                f'DartsMutator; got {type(self.mutator).__name__}')
        self.unroll = unroll
        self.unroll_eps = unroll_eps
        # DDP reduces the weights' gradients only: the weight step gives
        # the architecture parameters none to wait for, and the arch step
        # averages theirs itself. (They start equal on every rank all the
        # same: mmengine's Runner broadcasts the whole state dict from
        # rank 0 before training.)
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(
            self,
            [f'mutator.{name}' for name, _ in self.mutator.named_parameters()])

    def forward(self,
                inputs: torch.Tensor,
                data_samples=None,
                mode: str = 'tensor'):
        """Run the architecture in ``mode`` on the active parameters.

        Args:
            inputs (torch.Tensor): The preprocessed input batch.
            data_samples (list, optional): The data samples of the batch.
                Defaults to None.
            mode (str): The forward mode, ``'loss'``, ``'predict'`` or
                ``'tensor'``, as for an mmengine ``BaseModel``.
                Defaults to ``'tensor'``.

        Returns:
            dict | list | torch.Tensor: What the architecture returns in
            ``mode``.
        """
        return self.architecture(inputs, data_samples, mode=mode)

    # ----------------------------------------------------------- training
    def train_step(
            self,
            data: dict,
            optim_wrapper: OptimWrapperDict,
            ddp_model: Optional[nn.Module] = None) -> Dict[str, torch.Tensor]:
        """Take one architecture step (when given a batch) and one weight step.

        Args:
            data (dict): The batches, ``dict(weights=BATCH, arch=BATCH or
                None)``: the batch of the weight step and, when not None,
                the batch of the architecture step.
            optim_wrapper (OptimWrapperDict): Exactly two wrappers,
                ``architecture`` (the weights) and ``mutator`` (the
                architecture parameters), as built by
                ``SeparateOptimWrapperConstructor``.
            ddp_model (nn.Module, optional): The DDP wrapper around this
                model, when distributed. The weight step runs through it so
                that DDP averages the weight gradients. Defaults to None.

        Returns:
            Dict[str, torch.Tensor]: The log variables of the weight step,
            plus ``arch_loss`` when an architecture step was taken.

        Raises:
            TypeError: If ``optim_wrapper`` is not an ``OptimWrapperDict``
                with exactly the keys ``architecture`` and ``mutator``.
        """
        if not isinstance(optim_wrapper, OptimWrapperDict) or set(
                optim_wrapper.keys()) != {'architecture', 'mutator'}:
            keys = list(optim_wrapper.keys()) if isinstance(
                optim_wrapper, OptimWrapperDict) else type(optim_wrapper)
            raise TypeError(
                f'DARTS needs optim_wrapper with exactly two parts, '
                f'"architecture" (weights) and "mutator" (architecture '
                f'parameters), built by constructor='
                f'"SeparateOptimWrapperConstructor"; got {keys}')
        log_vars = {}
        if data.get('arch') is not None:
            log_vars.update(self._arch_step(data, optim_wrapper))
        weight_wrapper = optim_wrapper['architecture']
        model = ddp_model if ddp_model is not None else self
        # the architecture parameters are constants here: the backward
        # computes weight gradients only
        with weight_wrapper.optim_context(model), \
                self.mutator.constant_weights():
            batch = self.data_preprocessor(data['weights'], True)
            losses = model(**batch, mode='loss')
        loss, weight_vars = self.parse_losses(losses)
        weight_wrapper.update_params(loss)
        log_vars.update(weight_vars)
        return log_vars

    def _arch_step(self, data: dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        arch = list(self.mutator.parameters())
        arch_wrapper = optim_wrapper['mutator']
        # AMP (an AmpOptimWrapper): its step unscales the gradients and
        # skips the update on inf / nan, so they must reach it scaled
        scaler = getattr(arch_wrapper, 'loss_scaler', None)
        with arch_wrapper.optim_context(self):
            arch_batch = self.data_preprocessor(data['arch'], True)
            if self.unroll:
                train_batch = self.data_preprocessor(data['weights'], True)
                grads, arch_loss = unrolled_arch_grads(
                    self.architecture, lambda out: self.parse_losses(out)[0],
                    train_batch, arch_batch, arch,
                    optim_wrapper['architecture'].optimizer, self.unroll_eps)
                if scaler is not None:  # computed unscaled (finite diffs)
                    grads = [scaler.scale(g) for g in grads]
            else:
                arch_loss, _ = self.parse_losses(
                    self(**arch_batch, mode='loss'))
                # scaled as update_params scales a loss: fp16 gradients
                # do not underflow on the way back
                scaled = arch_loss if scaler is None else \
                    scaler.scale(arch_loss)
                # only the architecture gradient: weights keep no grad here
                grads = torch.autograd.grad(scaled, arch)
                arch_loss = arch_loss.detach()
        if get_world_size() > 1:
            for grad in grads:
                all_reduce(grad, op='mean')
        arch_wrapper.zero_grad()
        for param, grad in zip(arch, grads):
            param.grad = grad
        arch_wrapper.step()
        arch_wrapper.zero_grad()
        return {'arch_loss': arch_loss}
