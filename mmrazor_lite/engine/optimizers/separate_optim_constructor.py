"""One optimizer per named part of a model (DARTS: weights vs architecture)."""
import copy

from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict

from mmrazor_lite.registry import OPTIM_WRAPPER_CONSTRUCTORS
from .summarising_optim_constructor import SummarisingOptimWrapperConstructor


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SeparateOptimWrapperConstructor:
    """Build an ``OptimWrapperDict`` with one wrapper per child module.

    ::

        optim_wrapper = dict(
            constructor='SeparateOptimWrapperConstructor',
            architecture=dict(optimizer=dict(type='SGD', lr=0.1),
                              clip_grad=dict(max_norm=5)),
            mutator=dict(optimizer=dict(type='Adam', lr=6e-4)))

    Each key names a child of the model (``model.architecture``,
    ``model.mutator``) and holds an ordinary optim-wrapper config (with
    its own ``paramwise_cfg`` if any), built by mmengine's default
    constructor on that child only, so no parameter is in two optimizers.

    Args:
        optim_wrapper_cfg (dict): The optim-wrapper config of each part,
            child name -> config with an ``optimizer``; at least one.
        paramwise_cfg (dict, optional): Must be None: a ``paramwise_cfg``
            goes inside each part instead. Defaults to None.

    Raises:
        ValueError: If ``paramwise_cfg`` is given, there is no part or a
            part is not an optim-wrapper config with an ``optimizer``.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg=None):
        if paramwise_cfg is not None:
            raise ValueError('SeparateOptimWrapperConstructor: give '
                             'paramwise_cfg inside each part, not at the top')
        if not optim_wrapper_cfg:
            raise ValueError('SeparateOptimWrapperConstructor needs at least '
                             'one part, e.g. architecture=dict(optimizer=...)')
        for name, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise ValueError(
                    f'optim_wrapper.{name} must be an optim-wrapper config '
                    f'with an "optimizer", got {cfg!r}')
        self.parts = copy.deepcopy(dict(optim_wrapper_cfg))

    def __call__(self, model) -> OptimWrapperDict:
        """Build one optim wrapper per part, on that child of ``model``.

        Args:
            model (nn.Module): The model, wrapped or not.

        Returns:
            OptimWrapperDict: The wrappers, by part name.

        Raises:
            AttributeError: If the model has no child of a part's name.
        """
        if is_model_wrapper(model):
            model = model.module
        wrappers = {}
        for name, cfg in self.parts.items():
            part = getattr(model, name, None)
            if part is None:
                raise AttributeError(
                    f'optim_wrapper.{name}: {type(model).__name__} has no '
                    f'child "{name}"; its children are '
                    f'{[n for n, _ in model.named_children()]}')
            cfg = dict(cfg)
            paramwise = cfg.pop('paramwise_cfg', None)
            cfg.setdefault('type', 'OptimWrapper')
            wrappers[name] = SummarisingOptimWrapperConstructor(
                cfg, paramwise)(
                    part)
        return OptimWrapperDict(**wrappers)
