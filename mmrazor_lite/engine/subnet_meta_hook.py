"""Write a fixed subnet's choices into every checkpoint it saves."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmrazor_lite.registry import HOOKS


@HOOKS.register_module()
class SubnetMetaHook(Hook):
    """Adds ``meta['fix_subnet']`` (module path -> choice) to checkpoints.

    A retrained subnet's checkpoint then names its own subnet, so
    ``model.init_cfg.checkpoint=CKPT`` alone rebuilds the right one (see
    :func:`~mmrazor_lite.subnet.fixed_subnet_model.FixedSubnet`).
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        fix_subnet = getattr(model, 'fix_subnet', None)
        if fix_subnet:
            checkpoint.setdefault('meta', {})['fix_subnet'] = dict(fix_subnet)
