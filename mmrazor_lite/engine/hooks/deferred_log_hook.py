"""Write into a run's log file what was logged before the file existed.

The Runner creates the log file (``WORK_DIR/<timestamp>/<timestamp>.log``)
when it is built; what ``build_config`` logs before that, such as the
``--resume`` fallback to an older checkpoint, reaches the console only.
``build_config`` hands such messages to :func:`defer_to_run_log` (they
were printed already) and adds :class:`DeferredLogHook`, which writes them
into the log file(s) of the run in that work dir at ``before_run``.
"""
import logging
import os.path as osp
from typing import Dict, List, Sequence, Tuple

from mmengine.hooks import Hook

from mmrazor_lite.registry import HOOKS

#: absolute work dir -> ``(level, message)`` not yet in its run's log file
_PENDING: Dict[str, List[Tuple[int, str]]] = {}


def defer_to_run_log(work_dir: str, messages: Sequence[Tuple[int,
                                                             str]]) -> None:
    """Keep ``messages`` for the log file of the next run in ``work_dir``.

    They replace what an earlier call kept for that work dir (a config
    built again is that run's config).

    Args:
        work_dir (str): The run's work dir, as the config names it.
        messages (Sequence[Tuple[int, str]]): ``(logging level, text)``
            each, already shown on the console.
    """
    _PENDING[osp.abspath(work_dir)] = list(messages)


def pending_run_log(work_dir: str) -> List[Tuple[int, str]]:
    """What :func:`defer_to_run_log` keeps for ``work_dir`` (a copy).

    Args:
        work_dir (str): The work dir.

    Returns:
        List[Tuple[int, str]]: ``(logging level, text)`` each.
    """
    return list(_PENDING.get(osp.abspath(work_dir), ()))


@HOOKS.register_module()
class DeferredLogHook(Hook):
    """Write the messages kept for this run's work dir into its log file.

    At ``before_run`` the messages :func:`defer_to_run_log` kept for
    ``runner.work_dir`` go to the file handlers of ``runner.logger`` only
    (the console showed them when they were logged) and are forgotten.
    ``build_config`` adds this hook when it keeps any.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        """Write the kept messages into the run's log file(s).

        Args:
            runner (Runner): The mmengine runner.
        """
        messages = _PENDING.pop(osp.abspath(runner.work_dir), [])
        logger = runner.logger
        files = [
            h for h in logger.handlers if isinstance(h, logging.FileHandler)
        ]
        for level, text in messages:
            record = logger.makeRecord(logger.name, level, __file__, 0, text,
                                       (), None)
            for handler in files:
                if record.levelno >= handler.level:
                    handler.handle(record)
