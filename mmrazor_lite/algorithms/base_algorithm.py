"""What every NAS algorithm shares: a supernet classifier and its mutator."""
from typing import Optional, Union

import torch.nn as nn
from mmengine.model import BaseModel

from mmrazor_lite.registry import build_model


class NASAlgorithm(BaseModel):
    """An mmengine model holding ``architecture`` and its ``mutator``.

    The architecture (usually an mmpretrain ``ImageClassifier`` over a
    searchable backbone) keeps the names a plain classifier has, under the
    ``architecture.`` prefix, as in MMRazor. The mutator is prepared on the
    architecture when the algorithm is built.

    Args:
        architecture (dict | nn.Module): The supernet classifier, or the
            config to build it from.
        mutator (dict | nn.Module): The mutator of the architecture, or the
            config to build it from.
        data_preprocessor (dict | nn.Module, optional): The data
            preprocessor. When None, the architecture's own is used. A dict
            without ``type`` (mmpretrain configs give a top-level one like
            that) builds an ``mmpretrain.ClsDataPreprocessor``. Defaults to
            None.
        init_cfg (dict, optional): The initialisation config of mmengine's
            ``BaseModule``. Defaults to None.
    """

    def __init__(self,
                 architecture: Union[dict, nn.Module],
                 mutator: Union[dict, nn.Module],
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None):
        if isinstance(architecture, dict):
            architecture = build_model(architecture)
        if data_preprocessor is None:
            data_preprocessor = getattr(architecture, 'data_preprocessor',
                                        None)
        elif isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor)
            # scoped: BaseModel builds it in the caller's scope (any repo's)
            data_preprocessor.setdefault('type',
                                         'mmpretrain.ClsDataPreprocessor')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.architecture = architecture
        self.mutator = build_model(mutator) if isinstance(mutator,
                                                          dict) else mutator
        self.mutator.prepare_from_supernet(self.architecture)
