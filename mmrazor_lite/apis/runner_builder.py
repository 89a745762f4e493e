"""Build the mmengine runner of a config; close the process group after."""
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.runner import Runner

from mmrazor_lite.engine import init_distributed
from mmrazor_lite.fileio.stale_temp_files import sweep_stale_temp_files
from mmrazor_lite.registry import RUNNERS


def build_runner(cfg: Config):
    """A runner for ``cfg``, the process group set up for its launcher."""
    if cfg.get('launcher', 'none') != 'none':
        init_distributed(cfg.launcher, cfg.get('env_cfg', {}).get('dist_cfg'))
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    _sweep_stale_temp_files(runner)
    return runner


def _sweep_stale_temp_files(runner) -> None:
    """Remove what killed atomic writes left in the work dir (rank 0)."""
    if not is_main_process():
        return
    for path in sweep_stale_temp_files(runner.work_dir):
        runner.logger.info(f'removed {path}, the temporary file of a write '
                           f'that was interrupted by an earlier run')


def shutdown_distributed() -> None:
    """Wait for every rank, then close the process group.

    Without it a rank that finishes first exits while the others still
    talk to it, and gloo may abort the process at exit.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
