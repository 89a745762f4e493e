"""Raise the drop-path probability of a DARTS evaluation network linearly."""
from mmengine.hooks import Hook

from mmrazor_lite.registry import HOOKS
from mmrazor_lite.structures.architecture_meta import unwrap_model


@HOOKS.register_module()
class DropPathScheduleHook(Hook):
    """Set ``backbone.drop_path_prob = max_prob * epoch / max_epochs``.

    It is set at the start of every epoch (0-based ``epoch``), as the
    DARTS / PC-DARTS evaluation recipe does: 0 in the first epoch, rising
    linearly towards ``max_prob`` (0.3 on CIFAR-10). The value is logged.

    Args:
        max_prob (float): The probability the ramp heads for, in
            ``[0, 1)``. Defaults to 0.3.
        attribute (str): The dotted path of the attribute on the model.
            Defaults to ``'backbone.drop_path_prob'``.

    Raises:
        ValueError: If ``max_prob`` is not in ``[0, 1)``.
    """

    priority = 'NORMAL'

    def __init__(self,
                 max_prob: float = 0.3,
                 attribute: str = 'backbone.drop_path_prob'):
        if not 0.0 <= max_prob < 1.0:
            raise ValueError(f'max_prob must be in [0, 1), got {max_prob}')
        self.max_prob = float(max_prob)
        self.owner_path, _, self.name = attribute.rpartition('.')

    def before_train_epoch(self, runner) -> None:
        """Set and log the drop path probability of this epoch.

        Args:
            runner (Runner): The mmengine runner.

        Raises:
            AttributeError: If the model has no such attribute to
                schedule.
        """
        model = unwrap_model(runner.model)
        owner = model.get_submodule(self.owner_path) if self.owner_path \
            else model
        if not hasattr(owner, self.name):
            raise AttributeError(
                f'DropPathScheduleHook: {type(owner).__name__} has no '
                f'attribute {self.name!r} to schedule')
        prob = self.max_prob * runner.epoch / runner.max_epochs
        setattr(owner, self.name, prob)
        runner.message_hub.update_scalar('train/drop_path_prob', prob)
        runner.logger.info(f'epoch {runner.epoch + 1}: drop path '
                           f'probability {prob:.4f}')
