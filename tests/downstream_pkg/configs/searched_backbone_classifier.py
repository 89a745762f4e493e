# mydown's own classifier whose backbone is the subnet our SPOS search found:
# the search's two files drop in as they are (the test points both paths at
# its search's work dir with cfg.merge_from_dict, as --cfg-options would).
custom_imports = dict(
    imports=['mmrazor_lite', 'mydown'], allow_failed_imports=False)
default_scope = 'mydown'

model = dict(
    type='MyClassifier',
    in_channels=64,
    num_classes=10,
    backbone=dict(
        type='mmrazor_lite.FixedSubnet',
        architecture=dict(
            type='mmrazor_lite.SearchableShuffleNetV2',
            widen_factor=0.25,
            stage_blocks=(1, 2, 1, 1),
            last_channels=64),
        fix_subnet='work_dirs/search/best_fix_subnet.yaml',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/search/best_subnet_weights.pth',
            prefix='backbone.')),
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        mean=[127.5] * 3,
        std=[127.5] * 3))
