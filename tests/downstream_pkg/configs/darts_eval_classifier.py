# mydown's own classifier over a DARTS evaluation network (a searched cell,
# GENOTYPE: a genotype.yaml a search wrote, or a shipped name).
custom_imports = dict(
    imports=['mmrazor_lite', 'mydown'], allow_failed_imports=False)
default_scope = 'mydown'

genotype = 'PC_DARTS_cifar'
model = dict(
    type='MyClassifier',
    in_channels=128,  # channels x 4 nodes x 4 (two reductions double it)
    num_classes=10,
    backbone=dict(
        type='mmrazor_lite.DartsEvalNetwork',
        genotype=genotype,
        channels=8,
        num_layers=3,
        auxiliary=False))
