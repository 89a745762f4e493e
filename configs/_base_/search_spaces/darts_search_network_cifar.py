# The DARTS / PC-DARTS search network as an mmpretrain classifier: CIFAR
# stem, 8 cells, 16 channels, reductions at 1/3 and 2/3 (output 4 x 64).
# PC-DARTS: k=4, edge_normalisation=True; DARTS: k=1, False.
search_network = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DartsSearchNetwork',
        channels=16,
        num_layers=8,
        num_classes=None,  # a feature map for the neck and head
        stem_type='cifar',
        k=4,
        edge_normalisation=True),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, )),
)
