"""torch.distributed set-up that also works on machines without CUDA.

mmengine 0.10 calls ``torch.cuda.set_device`` while initialising the process
group and hands ``device_ids=[LOCAL_RANK]`` to DDP, both of which fail on a
CPU-only machine. Here the process group is initialised before the Runner
(NCCL where CUDA is present, gloo otherwise), so mmengine skips its own
initialisation, and :class:`NASDistributedDataParallel` drops ``device_ids``
for CPU modules.
"""
import os
import subprocess
from datetime import timedelta

import torch
import torch.distributed as torch_dist
from mmengine.model.wrappers import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS as ROOT_MODEL_WRAPPERS

from mmrazor_lite.registry import MODEL_WRAPPERS


def _slurm_env_to_torch_env(port: int) -> None:
    """Export the torchrun-style variables from Slurm's, as mmengine does."""
    proc_id = int(os.environ['SLURM_PROCID'])
    ntasks = int(os.environ['SLURM_NTASKS'])
    node_list = os.environ['SLURM_NODELIST']
    local_procs = torch.cuda.device_count() or 1
    addr = subprocess.getoutput(
        f'scontrol show hostname {node_list} | head -n1')
    os.environ.setdefault('MASTER_PORT', str(port))
    os.environ.setdefault('MASTER_ADDR', addr)
    os.environ['WORLD_SIZE'] = str(ntasks)
    os.environ['LOCAL_RANK'] = str(
        int(os.environ.get('SLURM_LOCALID', proc_id % local_procs)))
    os.environ['RANK'] = str(proc_id)


def init_distributed(launcher: str, dist_cfg: dict = None) -> str:
    """Initialise the default process group for ``launcher``; return backend.

    ``launcher`` is ``'pytorch'`` (torchrun) or ``'slurm'``. The backend is
    ``dist_cfg['backend']`` when CUDA is available (NCCL by default) and
    gloo otherwise.
    """
    if torch_dist.is_initialized():
        return torch_dist.get_backend()
    dist_cfg = dict(dist_cfg or {})
    if launcher == 'slurm':
        _slurm_env_to_torch_env(int(dist_cfg.pop('port', 29500)))
    elif launcher != 'pytorch':
        raise ValueError(f"launcher {launcher!r} is not supported here; use "
                         f"'pytorch' (torchrun) or 'slurm'")
    missing = [
        k for k in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR',
                    'MASTER_PORT') if k not in os.environ
    ]
    if missing:
        raise RuntimeError(
            f'--launcher {launcher} needs the environment variables {missing}'
            f'; start the job with tools/dist_train.sh (torchrun) or srun')
    use_cuda = torch.cuda.is_available()
    configured = dist_cfg.pop('backend', 'nccl')
    backend = configured if use_cuda else 'gloo'
    if use_cuda:
        torch.cuda.set_device(int(os.environ['LOCAL_RANK']))
    timeout = dist_cfg.pop('timeout', None)
    if timeout is not None:
        dist_cfg['timeout'] = timedelta(seconds=timeout)
    torch_dist.init_process_group(
        backend=backend,
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **dist_cfg)
    return backend


@MODEL_WRAPPERS.register_module()
class NASDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's DDP wrapper, on CUDA or CPU, aware of NAS supernets.

    - CPU modules get ``device_ids=None`` (DDP rejects device ids for them).
    - ``find_unused_parameters`` defaults to the model's own
      ``ddp_find_unused_parameters`` attribute: a supernet that trains one
      path per step declares it, so users never set the flag.
    - A model that runs its own step (``owns_train_step``) gets it.
    """

    def __init__(self,
                 module,
                 detect_anomalous_params: bool = False,
                 find_unused_parameters=None,
                 device_ids=None,
                 **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu:
            device_ids = None
            kwargs.pop('output_device', None)
        if find_unused_parameters is None:
            find_unused_parameters = bool(
                getattr(module, 'ddp_find_unused_parameters', False))
        kwargs.setdefault('broadcast_buffers', False)
        super().__init__(
            module=module,
            detect_anomalous_params=detect_anomalous_params,
            device_ids=device_ids,
            find_unused_parameters=find_unused_parameters,
            **kwargs)

    def train_step(self, data, optim_wrapper):
        """mmengine's DDP step, or the model's own when it declares one.

        A model with ``owns_train_step = True`` (DARTS: an architecture
        step and a weight step per iteration, two optimizers) gets the
        whole step, with this wrapper to run the forwards DDP must see.
        """
        if getattr(self.module, 'owns_train_step', False):
            return self.module.train_step(data, optim_wrapper, ddp_model=self)
        return super().train_step(data, optim_wrapper)


# mmengine's Runner looks wrappers up with a bare ``get`` on its root
# registry, which sees only the root and its direct children, not our
# registry (a grandchild, under mmpretrain's); so the root holds it too.
ROOT_MODEL_WRAPPERS.register_module(module=NASDistributedDataParallel)
