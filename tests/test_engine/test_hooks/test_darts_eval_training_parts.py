"""BatchCutout (after normalisation) and DropPathScheduleHook."""
import types

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.models.utils.batch_augments import RandomBatchAugment

import mmrazor_lite  # noqa: F401
from mmrazor_lite.engine.hooks.drop_path_schedule_hook import \
    DropPathScheduleHook
from mmrazor_lite.structures.genotype import GENOTYPES, load_genotype
from helpers.paths import REPO


def test_batch_cutout_zeroes_one_clipped_square_per_image():
    init_default_scope('mmrazor_lite')
    augment = RandomBatchAugment(dict(type='BatchCutout', length=16))
    torch.manual_seed(0)
    x = torch.randn(64, 3, 32, 32) + 5  # no zero anywhere before
    score = torch.eye(10, dtype=torch.long)[torch.arange(64) % 10]
    out, out_score = augment(x.clone(), score.clone())
    assert out_score.dtype == torch.float32  # as the losses want them
    assert torch.equal(out_score, score.float())
    holes = out == 0
    # the same square in every channel
    assert torch.equal(holes[:, 0], holes[:, 1])
    sizes = holes[:, 0].sum((1, 2))
    assert sizes.max() == 256 and sizes.min() >= 64  # clipped near borders
    assert (sizes < 256).any()  # some centres near a border
    for mask in holes[:, 0]:
        rows = mask.any(1).nonzero().flatten()
        cols = mask.any(0).nonzero().flatten()
        # one solid rectangle
        assert mask.sum() == len(rows) * len(cols)
        assert rows.max() - rows.min() + 1 == len(rows) <= 16
    # everything outside the square is untouched
    assert torch.equal(out[~holes], x[~holes])


def test_drop_path_schedule_is_linear_from_zero():
    backbone = torch.nn.Module()
    backbone.drop_path_prob = None
    model = torch.nn.Module()
    model.backbone = backbone
    logged = {}
    runner = types.SimpleNamespace(
        model=model,
        max_epochs=600,
        epoch=0,
        message_hub=types.SimpleNamespace(
            update_scalar=lambda k, v: logged.__setitem__(k, v)),
        logger=types.SimpleNamespace(info=lambda msg: None))
    hook = DropPathScheduleHook(max_prob=0.3)
    seen = []
    for epoch in (0, 1, 300, 599):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        seen.append(backbone.drop_path_prob)
    assert seen == pytest.approx([0.0, 0.3 / 600, 0.15, 0.3 * 599 / 600])
    assert logged['train/drop_path_prob'] == pytest.approx(seen[-1])
    with pytest.raises(ValueError, match='max_prob'):
        DropPathScheduleHook(max_prob=1.5)
    del backbone.drop_path_prob
    with pytest.raises(AttributeError, match='drop_path_prob'):
        hook.before_train_epoch(runner)


@pytest.mark.parametrize('path,name', [
    ('configs/nas/pcdarts/PC_DARTS_cifar.yaml', 'PC_DARTS_cifar'),
    ('configs/nas/pcdarts/PC_DARTS_image.yaml', 'PC_DARTS_image'),
    ('configs/nas/darts/DARTS_V1.yaml', 'DARTS_V1'),
    ('configs/nas/darts/DARTS_V2.yaml', 'DARTS_V2'),
])
def test_shipped_genotype_files(path, name):
    import os.path as osp
    repo = REPO
    assert load_genotype(osp.join(repo, path)) == GENOTYPES[name]
