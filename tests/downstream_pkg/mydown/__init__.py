"""``mydown``: a stand-in for another OpenMMLab-style repo (mmdet, mmseg...).

It has its own scope and registries and knows nothing of mmrazor_lite in
its code: its configs name our types by their scope (``mmrazor_lite.SPOS``)
and import us through ``custom_imports``.
"""
from . import models  # noqa: F401  (registers MyClassifier)
