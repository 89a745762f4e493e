"""One DARTS evaluation training per work dir.

mmengine trains a fresh run into a work dir that holds an earlier run's
checkpoints without a word: its ``epoch_M.pth`` stay beside the new ones
(``max_keep_ckpts`` removes only what this run saved), and a later
``--resume`` may continue the old run. The search loops and the DARTS
search refuse such a work dir (``engine/search/state.py``); this hook gives
a DARTS evaluation training (a classifier whose backbone has a genotype,
trained by mmengine's own loops) the same claim, when training starts and
before anything is written.
"""
from mmengine.hooks import Hook

from mmrazor_lite.engine.search.state import (CHECKPOINT_FILES,
                                              claim_run_work_dir)
from mmrazor_lite.registry import HOOKS
from mmrazor_lite.structures.architecture_meta import model_genotype

#: how a refusal says to let the hook delete the earlier checkpoints
WAY_OUT = ("set overwrite=True on this run's WorkDirClaimHook (in the "
           "config: custom_hooks = [..., dict(type='WorkDirClaimHook', "
           "overwrite=True)])")


@HOOKS.register_module()
class WorkDirClaimHook(Hook):
    """Refuse to start a DARTS evaluation training over an earlier one.

    At ``before_train``, a run that does not resume (``resume`` unset)
    whose model is a DARTS evaluation network (its backbone has a
    genotype) and whose work dir holds checkpoints of an earlier run
    (``epoch_*.pth``, ``iter_*.pth``, ``best_*.pth``, ``last_checkpoint``:
    :data:`~mmrazor_lite.engine.search.state.CHECKPOINT_FILES`) is refused
    on every rank, naming the files and the ways out. Logs and dumped
    configs (a failed start's) are not an earlier run's files. Other runs
    are not checked: the search loops and ``DartsTrainLoop`` claim their
    work dirs themselves. ``build_config`` (``tools/train.py``) adds it to
    every run.

    Args:
        overwrite (bool): Have rank 0 delete those checkpoints first
            (logged) instead of refusing; an error with ``--resume``.
            Defaults to False.
    """

    priority = 'VERY_HIGH'

    def __init__(self, overwrite: bool = False):
        self.overwrite = bool(overwrite)

    def before_train(self, runner) -> None:
        """Claim the work dir of a fresh DARTS evaluation training.

        Args:
            runner (Runner): The mmengine runner.

        Raises:
            FileExistsError: A fresh run finds an earlier run's
                checkpoints and ``overwrite`` is False.
            ValueError: ``overwrite`` with a resume.
        """
        if model_genotype(runner.model) is None:
            return  # not a DARTS evaluation network
        resumed = None
        if runner.cfg.get('resume'):
            resumed = runner.cfg.get('load_from') or 'auto'
        claim_run_work_dir(
            runner.work_dir,
            resumed,
            self.overwrite,
            runner.logger,
            patterns=CHECKPOINT_FILES,
            what='training',
            option='WorkDirClaimHook overwrite=True',
            way_out=WAY_OUT)
