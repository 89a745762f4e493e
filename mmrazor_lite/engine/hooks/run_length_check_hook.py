"""Say at the start of training when the run's total batch is not the
recipe's.

A recipe's schedule is written for its total batch (``8xb128``: 8 GPUs x
128 = 1024 images a step, ``auto_scale_lr.base_batch_size`` of the config).
Launched on fewer GPUs, an iteration-based recipe then sees fewer images
(150k iterations at 512 cover half the epochs of 150k at 1024) with an lr
meant for the larger batch; an epoch-based one takes more, smaller steps at
that lr. mmengine says nothing; this hook logs one warning naming both
totals, the epochs the run covers and how to train the recipe
(``--auto-scale-lr``, or the per-GPU batch that restores the total).
"""
import math
from typing import Optional

from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from mmrazor_lite.registry import HOOKS

DOCS = 'docs/spos.md, "The recipe on fewer GPUs"'


def _dataset_length(dataloader) -> Optional[int]:
    """The number of samples of ``dataloader``'s dataset, if it has one."""
    try:
        return len(dataloader.dataset)
    except (AttributeError, TypeError):
        return None


def recipe_batch_message(runner) -> Optional[tuple]:
    """What differs between this run's total batch and the recipe's.

    Args:
        runner (Runner): The mmengine runner, its train loop built.

    Returns:
        tuple, optional: ``(level, message)``, ``level`` ``'warning'`` (the
        lr is not scaled) or ``'info'`` (``--auto-scale-lr`` scaled it and
        only the epochs differ); None when there is nothing to say: the
        totals match, the config names no ``auto_scale_lr.base_batch_size``
        or the loop is not a training loop (a search).
    """
    scale = runner.cfg.get('auto_scale_lr') or {}
    base = scale.get('base_batch_size')
    loop = runner.train_loop
    if not isinstance(base, int) or base <= 0 or not isinstance(
            loop, (IterBasedTrainLoop, EpochBasedTrainLoop)):
        return None
    loader = loop.dataloader
    batch = getattr(loader, 'batch_size', None)
    if not isinstance(batch, int):
        return None  # a batch sampler of its own: no fixed batch size
    world = runner.world_size
    total = world * batch
    if total == base:
        return None
    images = _dataset_length(loader)
    ratio = total / base
    totals = (f'the total batch is {total} ({world} process'
              f'{"es" if world > 1 else ""} x train_dataloader.batch_size '
              f'{batch}), the recipe\'s {base} '
              f'(auto_scale_lr.base_batch_size)')
    scaled = bool(scale.get('enable'))
    same_total = ''
    if base % world == 0:
        same_total = (f'train_dataloader.batch_size={base // world} '
                      f'({world} x {base // world} = {base}, if it fits), or ')
    if isinstance(loop, IterBasedTrainLoop):
        iters = loop.max_iters
        same_epochs = round(iters * base / total)
        if images:
            now, recipe = iters * total / images, iters * base / images
            covered = (f'the {iters} iterations cover {now:.4g} epochs of '
                       f'the {images} training images, the recipe '
                       f'{recipe:.4g}')
        else:
            covered = (f'the {iters} iterations see {ratio:.4g} x the '
                       f'images the recipe does')
        if scaled:
            return 'info', (
                f'--auto-scale-lr scaled the lr by {ratio:g}: {totals}. What '
                f'still differs: {covered}; train_cfg.max_iters='
                f'{same_epochs} covers the recipe\'s epochs ({DOCS})')
        return 'warning', (
            f'{totals}: {covered}, and the lr is the config\'s, not scaled '
            f'for the batch. To train the recipe: {same_total}--auto-scale-lr'
            f' (lr x {ratio:g}) with train_cfg.max_iters={same_epochs} (the '
            f'recipe\'s epochs) ({DOCS})')
    if scaled:
        return None  # the same epochs, the lr scaled: the recipe, rescaled
    steps = loop.max_iters
    recipe = f'{loop.max_epochs * math.ceil(images / base)} ' if images else ''
    return 'warning', (
        f'{totals}: the {loop.max_epochs} epochs take {steps} steps (the '
        f'recipe {recipe}steps of {base} images) with the config\'s lr, not '
        f'scaled for the batch. To train the recipe: {same_total}'
        f'--auto-scale-lr (lr x {ratio:g}) ({DOCS})')


@HOOKS.register_module()
class RunLengthCheckHook(Hook):
    """Log at the start of training when the total batch is not the
    recipe's (``auto_scale_lr.base_batch_size``).

    One warning names both totals (world size x
    ``train_dataloader.batch_size``, and the recipe's), the epochs the
    run's iterations now cover against the recipe's, and
    ``--auto-scale-lr``. With ``--auto-scale-lr`` an iteration-based run
    logs what still differs (the epochs) at INFO level; an epoch-based
    run says nothing. Search loops and configs without
    ``auto_scale_lr.base_batch_size`` are not checked. ``build_config``
    (``tools/train.py``) adds it to every run; the keys tied to the run's
    length are checked there (``apis/run_length.py``).
    """

    priority = 'VERY_LOW'

    def before_train(self, runner) -> None:
        """Compare the run's total batch with the recipe's.

        Args:
            runner (Runner): The mmengine runner.
        """
        found = recipe_batch_message(runner)
        if found is None:
            return
        level, message = found
        getattr(runner.logger, level)(message)
