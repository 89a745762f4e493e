"""The DARTS bi-level train loop: an architecture batch, then a weight batch.

Used as ``train_cfg=dict(type='DartsTrainLoop', arch_dataloader=...,
max_epochs=50, arch_begin_epoch=15)`` with the :class:`DARTS` algorithm.

Every iteration hands the model ``dict(weights=BATCH, arch=BATCH)``; the
architecture batch is ``None`` before ``arch_begin_epoch`` (weights warm up
alone). The architecture loader keeps one iterator per epoch, created with
the epoch as its sampler seed (never one per step, the reference's
``next(iter(loader))`` defect), so a resumed run draws the same batches as
an uninterrupted one.

After every epoch, the final one included, the genotype the architecture
parameters choose is logged and written (rank 0, atomically) to
``work_dir/genotype_epoch_{N}.yaml`` and ``work_dir/genotype.yaml``
(latest), and softmax(alpha) / softmax(beta) go to the visualizer backends
as scalars ``arch/ops_normal/edge_3/sep_conv_3x3`` ... (step = epoch).

A fresh search (no ``--resume``) claims its work dir as the SPOS search
loops do: one that holds an earlier run's genotypes or checkpoints
(``DARTS_SEARCH_FILES``) is refused on every rank, unless
``train_cfg.overwrite=True`` has rank 0 delete them first.
"""
import os.path as osp
from typing import Union

from mmengine.dist import is_main_process
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import DataLoader

from mmrazor_lite.engine.search import check_supernet_checkpoint
from mmrazor_lite.engine.search.state import claim_run_work_dir
from mmrazor_lite.registry import LOOPS
from mmrazor_lite.structures.architecture_meta import unwrap_model
from mmrazor_lite.structures.genotype import dump_genotype


@LOOPS.register_module()
class DartsTrainLoop(EpochBasedTrainLoop):
    """An epoch-based bi-level train loop (see the module docstring).

    Args:
        runner (Runner): The mmengine runner.
        dataloader (DataLoader | dict): The weight split.
        arch_dataloader (DataLoader | dict): The architecture split; a
            dict is built with the runner's seed.
        max_epochs (int): The number of epochs over the weight split.
        arch_begin_epoch (int): The first epoch (0-based) with
            architecture steps (PC-DARTS CIFAR: 15; DARTS: 0). Defaults
            to 0.
        val_begin (int): The epoch that begins validating, as in mmengine's
            ``EpochBasedTrainLoop``. Defaults to 1.
        val_interval (int): The validation interval in epochs, as in
            mmengine's ``EpochBasedTrainLoop``. Defaults to 1.
        overwrite (bool): Delete an earlier run's genotypes and
            checkpoints from the work dir before a fresh search (rank 0);
            an error with ``--resume``. Defaults to False: a fresh search
            in such a work dir is refused.

    Raises:
        ValueError: If ``arch_begin_epoch`` is negative, or ``overwrite``
            is given with a resume.
        FileExistsError: If a fresh search finds an earlier run's files
            in the work dir and ``overwrite`` is False.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, dict],
                 arch_dataloader: Union[DataLoader, dict],
                 max_epochs: int,
                 arch_begin_epoch: int = 0,
                 val_begin: int = 1,
                 val_interval: int = 1,
                 overwrite: bool = False):
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval)
        if arch_begin_epoch < 0:
            raise ValueError(f'arch_begin_epoch must be >= 0, got '
                             f'{arch_begin_epoch}')
        load_from = runner.cfg.get('load_from')
        if load_from:  # mmengine would load a misfit non-strictly
            check_supernet_checkpoint(self.model, load_from,
                                      type(self).__name__)
        # one search per work dir (mmengine resumes it: resume=True)
        resumed = (load_from or 'auto') if runner.cfg.get('resume') else None
        claim_run_work_dir(runner.work_dir, resumed, bool(overwrite),
                           runner.logger)
        if isinstance(arch_dataloader, dict):
            arch_dataloader = runner.build_dataloader(
                arch_dataloader, seed=runner.seed)
        self.arch_dataloader = arch_dataloader
        self.arch_begin_epoch = int(arch_begin_epoch)
        self._arch_passes = 0

    @property
    def model(self):
        """The trained model, unwrapped from its model wrapper if any."""
        return unwrap_model(self.runner.model)

    def _arch_batches(self):
        """Yield the architecture batches of this epoch.

        The split is cycled if it is shorter than the weight split.
        """
        while True:
            sampler = getattr(self.arch_dataloader, 'sampler', None)
            if hasattr(sampler, 'set_epoch'):
                # distinct, reproducible order per (epoch, pass)
                sampler.set_epoch(self._epoch * 1000 + self._arch_passes)
            yielded = False
            for batch in self.arch_dataloader:
                yielded = True
                yield batch
            self._arch_passes += 1
            if not yielded:
                raise RuntimeError('the architecture dataloader is empty')

    def run_epoch(self) -> None:
        """Run one epoch of weight and architecture iterations.

        After the iterations, the genotype of the epoch is logged and
        written (see the module docstring).
        """
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        self._arch_passes = 0
        arch = self._arch_batches() \
            if self._epoch >= self.arch_begin_epoch else None
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(
                idx,
                dict(
                    weights=data_batch,
                    arch=next(arch) if arch is not None else None))
        self._after_epoch_arch()
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def _after_epoch_arch(self) -> None:
        mutator = self.model.mutator
        epoch = self._epoch + 1
        genotype = mutator.genotype()
        self.runner.logger.info(f'epoch {epoch} genotype: {genotype}')
        probabilities = mutator.probabilities()
        for name, value in probabilities.items():
            self.runner.logger.info(f'epoch {epoch} {name} (softmax):\n'
                                    f'{value.numpy().round(3)}')
        scalars = {}
        primitives = mutator.network.primitives
        for name, value in probabilities.items():
            for edge, row in enumerate(value.tolist()):
                if isinstance(row, list):
                    for op, p in zip(primitives, row):
                        scalars[f'arch/{name}/edge_{edge}/{op}'] = p
                else:
                    scalars[f'arch/{name}/edge_{edge}'] = row
        self.runner.visualizer.add_scalars(scalars, step=epoch)
        if is_main_process():
            work_dir = self.runner.work_dir
            dump_genotype(genotype,
                          osp.join(work_dir, f'genotype_epoch_{epoch}.yaml'))
            dump_genotype(genotype, osp.join(work_dir, 'genotype.yaml'))
