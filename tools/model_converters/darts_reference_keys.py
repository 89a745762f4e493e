"""The DARTS / PC-DARTS reference's parameter names of the ops we share.

These tables say how the reference code names the parameters of the ops
and stems we share with it; both reference converters read them.

The reference builds ``SepConv`` / ``DilConv`` / ``ReLUConvBN`` as one
``nn.Sequential`` (``op.<index>``) and its stems as ``nn.Sequential``\\ s;
ours name the same layers by role (:mod:`mmrazor_lite.ops.darts_ops`,
:mod:`mmrazor_lite.ops.darts_stems`). The converters run as scripts, so this
sibling file is imported as the top-level module ``darts_reference_keys``.
"""

#: ``op.<index>`` of a reference SepConv -> our SepConv's submodule
SEP_CONV_PARTS = {
    '1': 'conv1.depthwise',
    '2': 'conv1.pointwise',
    '3': 'conv1.bn',
    '5': 'conv2.depthwise',
    '6': 'conv2.pointwise',
    '7': 'conv2.bn'
}
#: ``op.<index>`` of a reference DilConv -> ours
DIL_CONV_PARTS = {'1': 'depthwise', '2': 'pointwise', '3': 'bn'}
#: ``op.<index>`` of a reference ReLUConvBN (cell preprocessing) -> ours
RELU_CONV_BN_PARTS = {'1': 'conv', '2': 'bn'}
#: reference stem key prefixes -> ours (relative to the backbone)
STEM_PREFIXES = {
    'stem.0.': 'stem.conv.',
    'stem.1.': 'stem.bn.',
    'stem0.0.': 'stem0.conv1.',
    'stem0.1.': 'stem0.bn1.',
    'stem0.3.': 'stem0.conv2.',
    'stem0.4.': 'stem0.bn2.',
    'stem1.1.': 'stem1.conv.',
    'stem1.2.': 'stem1.bn.',
}
