"""Build the mmengine runner of a config; close the process group after."""
from mmengine.config import Config


def build_runner(cfg: Config):
    """A runner for ``cfg``, the process group set up for its launcher."""
    import mmrazor_lite  # noqa: F401  registers our types, safe checkpoints
    from mmengine.runner import Runner

    from mmrazor_lite.engine import init_distributed
    if cfg.get('launcher', 'none') != 'none':
        init_distributed(cfg.launcher, cfg.get('env_cfg', {}).get('dist_cfg'))
    if 'runner_type' in cfg:
        from mmrazor_lite.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def shutdown_distributed() -> None:
    """Wait for every rank, then close the process group.

    Without it a rank that finishes first exits while the others still
    talk to it, and gloo may abort the process at exit.
    """
    import torch.distributed as torch_dist
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
