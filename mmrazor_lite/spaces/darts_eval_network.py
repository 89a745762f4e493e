"""The DARTS / PC-DARTS evaluation network: a genotype trained from scratch.

Unlike the search network, every cell holds only the 8 ops its genotype
names (2 per node), all BN is affine, pools carry no BN, and a per-sample
drop path regularises the ops during training.

Outputs (a backbone for an mmpretrain ``ImageClassifier`` with no neck and a
:class:`~mmrazor_lite.spaces.darts_eval_head.DartsEvalHead`):
``(aux_map, final_map)`` with ``auxiliary=True``, where ``aux_map`` is the
output of cell ``2 * num_layers // 3`` (the second reduction cell), else
``(final_map,)``. The maps are returned in eval mode too; the head decides
what to run.

Module layout: ``stem`` (CIFAR) or ``stem0`` / ``stem1`` (ImageNet),
``cells.c.preprocess{0,1}``, ``cells.c.ops.n`` (the n-th genotype pair).
``tools/model_converters/pcdarts_eval_to_mmrazor_lite.py`` maps the
reference NetworkCIFAR / NetworkImageNet state dict onto it.
"""
import os.path as osp
from collections.abc import Mapping
from typing import List, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmrazor_lite.ops.darts_ops import (FactorizedReduce, ReLUConvBN,
                                        build_darts_op)
from mmrazor_lite.ops.darts_stems import (check_stem_type, cifar_stem,
                                          imagenet_stems)
from mmrazor_lite.registry import MODELS
from mmrazor_lite.structures.genotype import GENOTYPES, Genotype, load_genotype


def resolve_genotype(genotype: Union[Genotype, Mapping, str]) -> Genotype:
    """Build a Genotype from a Genotype, dict, shipped name or file path.

    Args:
        genotype (Genotype | Mapping | str): A Genotype (validated), its
            dict form, the name of a shipped genotype (a key of
            ``GENOTYPES``) or the path of a genotype .yaml/.json file.

    Returns:
        Genotype: The genotype described.

    Raises:
        ValueError: If a string is neither a shipped name nor an existing
            file, or the genotype is invalid.
        TypeError: If ``genotype`` is of none of these types.
    """
    if isinstance(genotype, Genotype):
        genotype.validate()
        return genotype
    if isinstance(genotype, Mapping):
        return Genotype.from_dict(genotype)
    if isinstance(genotype, str):
        if genotype in GENOTYPES:
            return GENOTYPES[genotype]
        if osp.isfile(genotype):
            return load_genotype(genotype)
        raise ValueError(f'genotype {genotype!r} is neither a shipped name '
                         f'({sorted(GENOTYPES)}) nor an existing '
                         f'.yaml/.json file')
    raise TypeError(f'genotype must be a Genotype, a dict, a shipped name or '
                    f'a file path, got {type(genotype).__name__}')


def drop_path(x: torch.Tensor, prob: float) -> torch.Tensor:
    """Zero whole samples with probability ``prob`` and rescale the rest.

    There is one Bernoulli draw per sample (not per element), so an op's
    path is dropped for an image as a whole; dividing by the keep
    probability keeps the expected output unchanged.

    Args:
        x (torch.Tensor): The op outputs, ``(N, C, H, W)``.
        prob (float): The probability of dropping a sample, below 1.

    Returns:
        torch.Tensor: ``x`` with the dropped samples zeroed and the others
        divided by ``1 - prob``.
    """
    keep = 1.0 - prob
    mask = x.new_empty(x.size(0), 1, 1, 1).bernoulli_(keep)
    return x / keep * mask


@MODELS.register_module()
class DartsEvalCell(nn.Module):
    """A fixed cell: two preprocessed inputs, the genotype's ops, a concat.

    Each node sums the two ops its genotype pairs name; the output
    concatenates the nodes of the genotype's concat.

    Args:
        genotype (Genotype): The searched cells.
        prev_prev_channels (int): The channels of the output of the cell
            two back (s0).
        prev_channels (int): The channels of the output of the cell one
            back (s1).
        channels (int): The channels of every node of this cell.
        reduction (bool): Whether to build the reduce cell; the ops reading
            the two inputs then have stride 2.
        reduction_prev (bool): Whether s0 is twice the size of s1, so that
            it is reduced by a FactorizedReduce.
    """

    def __init__(self, genotype: Genotype, prev_prev_channels: int,
                 prev_channels: int, channels: int, reduction: bool,
                 reduction_prev: bool):
        super().__init__()
        self.reduction = reduction
        if reduction_prev:
            self.preprocess0 = FactorizedReduce(prev_prev_channels, channels)
        else:
            self.preprocess0 = ReLUConvBN(prev_prev_channels, channels, 1)
        self.preprocess1 = ReLUConvBN(prev_channels, channels, 1)
        pairs = genotype.reduce if reduction else genotype.normal
        self.concat: List[int] = list(
            genotype.reduce_concat if reduction else genotype.normal_concat)
        self.inputs: List[int] = [inp for _, inp in pairs]
        self.ops = nn.ModuleList(
            build_darts_op(
                name, channels, 2 if reduction and inp < 2 else 1, affine=True)
            for name, inp in pairs)
        self.out_channels = len(self.concat) * channels

    def _edge(self, n: int, states: List[torch.Tensor],
              drop_prob: float) -> torch.Tensor:
        op = self.ops[n]
        out = op(states[self.inputs[n]])
        # identity carries no weights to regularise (as in DARTS)
        if self.training and drop_prob > 0 and not isinstance(op, nn.Identity):
            out = drop_path(out, drop_prob)
        return out

    def forward(self,
                s0: torch.Tensor,
                s1: torch.Tensor,
                drop_prob: float = 0.0) -> torch.Tensor:
        """Compute the cell output from the outputs of the two cells before.

        Args:
            s0 (torch.Tensor): The output of the cell two back.
            s1 (torch.Tensor): The output of the cell one back.
            drop_prob (float): The drop path probability of every
                non-identity op, applied in training mode only. Defaults
                to 0.0.

        Returns:
            torch.Tensor: The concatenated nodes, ``out_channels``
            channels.
        """
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for n in range(0, len(self.ops), 2):
            states.append(
                self._edge(n, states, drop_prob) +
                self._edge(n + 1, states, drop_prob))
        return torch.cat([states[i] for i in self.concat], dim=1)


@MODELS.register_module()
class DartsEvalNetwork(BaseModule):
    """DARTS / PC-DARTS evaluation backbone built from a genotype.

    Reduction cells sit at ``num_layers // 3`` and ``2 * num_layers // 3``
    and double the channels.

    Args:
        genotype (Genotype | dict | str, optional): The cell to build: a
            Genotype, its dict form, a shipped name (``'PC_DARTS_cifar'``,
            ``'PC_DARTS_image'``, ``'DARTS_V1'``, ``'DARTS_V2'``) or the
            path of a genotype .yaml/.json file. It is an explicit choice:
            testing or exporting a checkpoint whose ``meta.genotype``
            differs is an error. Defaults to None (``default_genotype``).
        channels (int): The node channels of the first cells (36 for
            CIFAR, 48 for ImageNet). Defaults to 36.
        num_layers (int): The number of cells (20 for CIFAR, 14 for
            ImageNet). Defaults to 20.
        stem_type (str): ``'cifar'`` (conv3x3 + BN, full resolution) or
            ``'imagenet'`` (three stride-2 convs, /8; cell 0 reduces its
            s0, the stem0 output, with a FactorizedReduce). Defaults to
            ``'cifar'``.
        stem_multiplier (int): The CIFAR stem width is ``stem_multiplier *
            channels``. The ImageNet stem ends at ``channels``, as in the
            reference, and ignores it. Defaults to 3.
        auxiliary (bool): Whether to also return the map of the second
            reduction cell. Defaults to True.
        drop_path_prob (float): The per-sample drop path probability of
            every non-identity op, in training mode only. It is a plain
            attribute: a hook (``DropPathScheduleHook``) sets
            ``backbone.drop_path_prob`` before each epoch. Defaults to 0.0.
        default_genotype (Genotype | dict | str, optional): The cell built
            when ``genotype`` is None, in the same forms. The shipped
            configs set their paper's cell here, so that a checkpoint's
            own ``meta.genotype`` takes its place in ``tools/test.py`` and
            ``export_subnet.py``. Defaults to None.
        init_cfg (dict | list[dict], optional): The weight initialisation,
            as in :class:`BaseModule`. Defaults to None.

    Raises:
        ValueError: If ``stem_type`` is unknown, ``num_layers`` is not
            positive, both genotypes are None or the genotype cannot be
            resolved (see :func:`resolve_genotype`).
    """

    def __init__(self,
                 genotype: Union[Genotype, Mapping, str, None] = None,
                 channels: int = 36,
                 num_layers: int = 20,
                 stem_type: str = 'cifar',
                 stem_multiplier: int = 3,
                 auxiliary: bool = True,
                 drop_path_prob: float = 0.0,
                 default_genotype: Union[Genotype, Mapping, str, None] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        check_stem_type(stem_type)
        if num_layers < 1:
            raise ValueError(f'num_layers must be positive, got {num_layers}')
        if genotype is None and default_genotype is None:
            raise ValueError(
                'DartsEvalNetwork: no cell to build; set genotype (a '
                'genotype .yaml/.json, e.g. a search\'s genotype.yaml, or a '
                f'shipped name {sorted(GENOTYPES)})')
        self.genotype = resolve_genotype(default_genotype if genotype is
                                         None else genotype)
        self.stem_type = stem_type
        self.auxiliary = auxiliary
        self.drop_path_prob = float(drop_path_prob)
        self.reduction_indices = (num_layers // 3, 2 * num_layers // 3)
        self.aux_index = 2 * num_layers // 3

        if stem_type == 'cifar':
            stem_channels = stem_multiplier * channels
            self.stem = cifar_stem(stem_channels)
            reduction_prev = False
        else:
            stem_channels = channels
            self.stem0, self.stem1 = imagenet_stems(channels)
            reduction_prev = True

        prev_prev, prev, cur = stem_channels, stem_channels, channels
        cells = []
        self.aux_channels = None
        for i in range(num_layers):
            reduction = i in self.reduction_indices
            if reduction:
                cur *= 2
            cell = DartsEvalCell(self.genotype, prev_prev, prev, cur,
                                 reduction, reduction_prev)
            cells.append(cell)
            reduction_prev = reduction
            prev_prev, prev = prev, cell.out_channels
            if auxiliary and i == self.aux_index:
                self.aux_channels = cell.out_channels
        self.cells = nn.ModuleList(cells)
        self.out_channels = prev

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Run the stem and the cells on ``x``.

        Args:
            x (torch.Tensor): The input images, ``(N, 3, H, W)``.

        Returns:
            Tuple[torch.Tensor, ...]: ``(aux_map, final_map)`` with
            ``auxiliary``, else ``(final_map,)``, in eval mode too.
        """
        if self.stem_type == 'cifar':
            s0 = s1 = self.stem(x)
        else:
            s0 = self.stem0(x)
            s1 = self.stem1(s0)
        aux_map = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == self.aux_index:
                aux_map = s1
        if self.auxiliary:
            return aux_map, s1
        return (s1, )
