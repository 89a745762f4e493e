"""mydown's own classifier: any backbone, global pooling, one linear layer."""
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from .registry import MODELS


@MODELS.register_module()
class MyClassifier(BaseModel):
    """Classify with the last feature map of ``backbone``.

    Args:
        backbone (dict): built from mydown's registry (another repo's
            types by their scope, e.g. ``mmrazor_lite.FixedSubnet``).
        in_channels (int): channels of the backbone's last map.
        num_classes (int): classes.
    """

    def __init__(self,
                 backbone,
                 in_channels,
                 num_classes,
                 data_preprocessor=None,
                 init_cfg=None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.fc = torch.nn.Linear(in_channels, num_classes)

    def extract_feat(self, inputs):
        feats = self.backbone(inputs)
        return feats[-1] if isinstance(feats, (tuple, list)) else feats

    def forward(self, inputs, data_samples=None, mode='tensor'):
        logits = self.fc(self.extract_feat(inputs).mean((2, 3)))
        if mode == 'tensor':
            return logits
        labels = torch.cat([s.gt_label for s in data_samples])
        if mode == 'loss':
            return dict(loss=F.cross_entropy(logits, labels))
        for sample, score in zip(data_samples, logits.softmax(1)):
            sample.set_pred_score(score)
        return data_samples
