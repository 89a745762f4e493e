"""Classification head of the DARTS evaluation network, with the aux head.

It takes the backbone tuple of :class:`DartsEvalNetwork` directly (no neck):
``(aux_map, final_map)`` or ``(final_map,)``. The main path is a global
average pool and the ``classifier`` Linear on ``final_map``; ``forward`` and
``predict`` use it alone. The auxiliary head (DARTS: on the second reduction
cell, weight 0.4) only adds a training loss, logged apart::

    loss()  ->  {'loss': loss(main), 'loss_aux': aux_weight * loss(aux)}

mmengine sums every key containing ``'loss'``, so the total optimised is
``loss(main) + aux_weight * loss(aux)``, as in the reference.
"""
from collections import OrderedDict
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.heads import ClsHead
from mmpretrain.structures import DataSample

from mmrazor_lite.registry import MODELS

#: Average-pool stride of the auxiliary head: it brings an 8x8 (CIFAR) or
#: 7x7 (ImageNet) map to 2x2, which the 2x2 conv turns into one vector.
AUX_POOL_STRIDES = {'cifar': 3, 'imagenet': 2}


class DartsAuxiliaryHead(nn.Module):
    """The auxiliary classifier of DARTS, on the second reduction cell.

    Its layers are ReLU, avgpool 5, conv1x1 -> 128, BN, ReLU,
    conv2x2 -> 768, [BN], ReLU and Linear. The ImageNet variant has no BN
    after the 2x2 conv: the DARTS reference omitted it (a typo kept for
    consistency with the paper's runs), and its parameter counts
    (5,342,464 / 6,603,240) include that omission.

    Args:
        in_channels (int): The channels of the auxiliary map.
        num_classes (int): The number of classes.
        aux_type (str): ``'cifar'`` (an 8x8 map) or ``'imagenet'`` (a 7x7
            map); it sets the pool stride and the BN after the 2x2 conv.
            Defaults to ``'cifar'``.

    Raises:
        ValueError: If ``aux_type`` is not ``'cifar'`` or ``'imagenet'``.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 aux_type: str = 'cifar'):
        super().__init__()
        if aux_type not in AUX_POOL_STRIDES:
            raise ValueError(f'aux_type must be one of '
                             f'{sorted(AUX_POOL_STRIDES)}, got {aux_type!r}')
        layers = [
            # not in place: the map is also the next cells' input
            ('relu1', nn.ReLU(inplace=False)),
            ('pool',
             nn.AvgPool2d(
                 5, stride=AUX_POOL_STRIDES[aux_type],
                 count_include_pad=False)),
            ('conv1', nn.Conv2d(in_channels, 128, 1, bias=False)),
            ('bn1', nn.BatchNorm2d(128)),
            ('relu2', nn.ReLU(inplace=True)),
            ('conv2', nn.Conv2d(128, 768, 2, bias=False)),
        ]
        if aux_type == 'cifar':
            layers.append(('bn2', nn.BatchNorm2d(768)))
        layers.append(('relu3', nn.ReLU(inplace=True)))
        self.features = nn.Sequential(OrderedDict(layers))
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Compute the auxiliary logits of a map.

        Args:
            x (torch.Tensor): The auxiliary map, ``(N, in_channels, 8, 8)``
                (cifar) or ``(N, in_channels, 7, 7)`` (imagenet).

        Returns:
            torch.Tensor: The logits, ``(N, num_classes)``.

        Raises:
            ValueError: If the features do not reduce the map to 1x1 (a
                map of another size than ``aux_type`` expects).
        """
        x = self.features(x)
        if x.shape[-2:] != (1, 1):
            raise ValueError(
                f'the auxiliary head reduces its map to 1x1 only from 8x8 '
                f'(cifar) / 7x7 (imagenet) maps; got an output of '
                f'{tuple(x.shape[-2:])}: check aux_type and the input size')
        return self.classifier(x.flatten(1))


def _check_channels(feat: torch.Tensor, expected: int, head_key: str,
                    backbone_attr: str, concat_key: str) -> None:
    """A clear error where the Linear / conv would fail on a shape.

    The head is built from numbers in the config while the backbone's
    widths follow its genotype (``len(concat) x`` the cell's channels), so
    a genotype with another concat or node count makes them disagree.
    Skipped while tracing (export), where a shape test only warns and is
    frozen into the trace; eager runs check.
    """
    if not torch.jit.is_tracing() and feat.shape[1] != expected:
        raise ValueError(
            f'DartsEvalHead: model.head.{head_key} is {expected} but the '
            f'backbone gives {feat.shape[1]} channels (its {backbone_attr}:'
            f' len({concat_key}) of its genotype x that cell\'s channels);'
            f' set model.head.{head_key}={feat.shape[1]} for this genotype')


@MODELS.register_module()
class DartsEvalHead(ClsHead):
    """A global pool and linear classifier, plus an optional auxiliary head.

    See the module docstring for what each head computes and how their
    losses are logged.

    Args:
        num_classes (int): The number of classes.
        in_channels (int): The channels of the final map (the backbone's
            ``out_channels``).
        aux_channels (int, optional): The channels of the auxiliary map
            (the backbone's ``aux_channels``). Defaults to None (no
            auxiliary head).
        aux_weight (float): The weight of the auxiliary loss (0.4 in
            DARTS); 0 builds no auxiliary head. Defaults to 0.4.
        aux_type (str): ``'cifar'`` (an 8x8 map) or ``'imagenet'`` (a 7x7
            map). Defaults to ``'cifar'``.
        loss (dict): The loss config, as in :class:`ClsHead`; the same
            loss (label smoothing included) serves both heads. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        topk (int | tuple[int]): The top-k accuracies to compute, as in
            :class:`ClsHead`. Defaults to ``(1, )``.
        cal_acc (bool): Whether to compute the training accuracy, as in
            :class:`ClsHead`. Defaults to False.
        init_cfg (dict, optional): The weight initialisation, as in
            :class:`ClsHead`. Defaults to None.

    Raises:
        ValueError: If ``aux_weight`` is negative or, when an auxiliary
            head is built, ``aux_type`` is neither ``'cifar'`` nor
            ``'imagenet'``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 aux_channels: Optional[int] = None,
                 aux_weight: float = 0.4,
                 aux_type: str = 'cifar',
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 topk=(1, ),
                 cal_acc: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg)
        if aux_weight < 0:
            raise ValueError(f'aux_weight must be >= 0, got {aux_weight}')
        self.num_classes = num_classes
        self.aux_weight = float(aux_weight)
        self.classifier = nn.Linear(in_channels, num_classes)
        self.auxiliary_head = None
        if aux_weight > 0 and aux_channels:
            self.auxiliary_head = DartsAuxiliaryHead(aux_channels, num_classes,
                                                     aux_type)

    def pre_logits(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Globally average-pool the final map.

        Args:
            feats (Tuple[torch.Tensor, ...]): The backbone outputs, the
                final map last.

        Returns:
            torch.Tensor: The pooled features, ``(N, in_channels)``.
        """
        # a mean rather than AdaptiveAvgPool2d: the same numbers, and fvcore
        # counts no FLOPs for it, like the reference's AvgPool2d
        return feats[-1].mean(dim=(2, 3))

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Compute the logits of the main classifier.

        They are the only logits used at test time.

        Args:
            feats (Tuple[torch.Tensor, ...]): The backbone outputs, the
                final map last.

        Returns:
            torch.Tensor: The logits, ``(N, num_classes)``.

        Raises:
            ValueError: If the final map does not have ``in_channels``
                channels (a genotype other than the config's); skipped
                while tracing.
        """
        _check_channels(feats[-1], self.classifier.in_features, 'in_channels',
                        'out_channels', 'normal_concat')
        return self.classifier(self.pre_logits(feats))

    def forward_aux(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Compute the logits of the auxiliary head, from ``feats[-2]``.

        Args:
            feats (Tuple[torch.Tensor, ...]): The backbone outputs,
                ``(aux_map, final_map)``.

        Returns:
            torch.Tensor: The auxiliary logits, ``(N, num_classes)``.

        Raises:
            RuntimeError: If this head has no auxiliary head.
            ValueError: If ``feats`` holds no auxiliary map (a backbone
                built without ``auxiliary=True``) or the map does not have
                ``aux_channels`` channels.
        """
        if self.auxiliary_head is None:
            raise RuntimeError('this head has no auxiliary head (needs '
                               'aux_channels and aux_weight > 0)')
        if len(feats) < 2:
            raise ValueError('the auxiliary head needs (aux_map, final_map) '
                             'from the backbone: build it with '
                             'auxiliary=True')
        _check_channels(feats[-2],
                        self.auxiliary_head.features.conv1.in_channels,
                        'aux_channels', 'aux_channels', 'reduce_concat')
        return self.auxiliary_head(feats[-2])

    def loss(self, feats: Tuple[torch.Tensor, ...],
             data_samples: List[DataSample], **kwargs) -> dict:
        """Compute the main loss and, with an auxiliary head, its loss.

        Args:
            feats (Tuple[torch.Tensor, ...]): The backbone outputs,
                ``(aux_map, final_map)`` or ``(final_map,)``.
            data_samples (List[DataSample]): The annotations of the batch,
                with ``gt_label`` or ``gt_score``.
            **kwargs: Other keyword arguments passed on to the loss
                module, as in :meth:`ClsHead.loss`.

        Returns:
            dict: ``'loss'`` (and, as in :meth:`ClsHead.loss`, the accuracy
            when ``cal_acc``) and, with an auxiliary head, ``'loss_aux'``:
            ``aux_weight`` times the auxiliary loss, weighted already.
        """
        losses = self._get_loss(self(feats), data_samples, **kwargs)
        if self.auxiliary_head is not None:
            aux_score = self.forward_aux(feats)
            if 'gt_score' in data_samples[0]:
                target = torch.stack([i.gt_score for i in data_samples])
            else:
                target = torch.cat([i.gt_label for i in data_samples])
            aux_loss = self.loss_module(
                aux_score, target, avg_factor=aux_score.size(0), **kwargs)
            # weighted here: the logged value is what enters the total
            losses['loss_aux'] = self.aux_weight * aux_loss
        return losses
