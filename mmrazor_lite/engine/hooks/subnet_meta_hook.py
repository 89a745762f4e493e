"""Record a fixed network's architecture in its checkpoints; check on load."""
from mmengine.hooks import Hook

from mmrazor_lite.registry import HOOKS
from mmrazor_lite.structures.architecture_meta import (architecture_meta,
                                                       check_architecture)


@HOOKS.register_module()
class SubnetMetaHook(Hook):
    """Add the architecture to every checkpoint and refuse a foreign one.

    Saving: ``meta['fix_subnet']`` (module path -> choice) for a SPOS
    subnet, ``meta['genotype']`` for a DARTS evaluation network. A
    checkpoint then names its own architecture, so ``tools/test.py CONFIG
    CKPT`` and ``export_subnet.py`` rebuild the right network from it.

    Loading (``load_from`` / ``--resume``): a checkpoint whose recorded
    architecture differs from the model's is an error naming both; loading
    it non-strictly would train or test another network with exit 0.

    ``tools/train.py`` and ``tools/test.py`` add this hook to every run.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Record the model's architecture in ``checkpoint['meta']``.

        Args:
            runner (Runner): The mmengine runner.
            checkpoint (dict): The checkpoint about to be saved.
        """
        meta = architecture_meta(runner.model)
        if meta:
            checkpoint.setdefault('meta', {}).update(meta)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Check the architecture recorded in a loaded checkpoint.

        Args:
            runner (Runner): The mmengine runner.
            checkpoint (dict): The loaded checkpoint.

        Raises:
            ArchitectureMismatchError: If the recorded architecture differs
                from the model's.
        """
        # mmengine does not pass the file name; load_from is None when
        # --resume took the latest checkpoint of the work dir
        source = f'checkpoint {runner.cfg.get("load_from") or "(resumed)"}'
        check_architecture(checkpoint.get('meta'), runner.model, source)
