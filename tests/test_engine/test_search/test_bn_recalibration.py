"""BN re-estimation: exact statistics, only for the BNs the path reaches."""
import torch
import torch.nn as nn

from mmrazor_lite.engine.search import bn_recalibration
from mmrazor_lite.engine.search.bn_recalibration import (calibration_batches,
                                                         recalibrate_bn)


class TwoBranch(nn.Module):

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
        self.used = nn.Sequential(nn.Conv2d(8, 4, 1), nn.BatchNorm2d(4))
        self.unused = nn.Sequential(nn.Conv2d(8, 4, 1), nn.BatchNorm2d(4))

    def forward(self, x):
        return self.used(self.stem(x))


def test_statistics_are_exact_over_unequal_batches():
    torch.manual_seed(0)
    model = TwoBranch().eval()
    with torch.no_grad():
        model.unused[1].running_mean.fill_(0.25)
        model.stem[1].running_mean.fill_(7.0)
    batches = [torch.randn(n, 3, 9, 9) * 3 + 1 for n in (5, 2, 7)]
    seen = recalibrate_bn(model, batches, model)
    assert seen == 3
    assert not model.training  # modes and momentum restored
    assert model.stem[1].momentum == 0.1
    with torch.no_grad():
        first = torch.cat([model.stem[0](x) for x in batches])
        # the next BN sees the stem normalised with each batch's statistics
        second = torch.cat([
            model.used[0](torch.relu(
                nn.functional.batch_norm(model.stem[0](x), None, None,
                                         model.stem[1].weight,
                                         model.stem[1].bias, True)))
            for x in batches
        ])
    for bn, h in ((model.stem[1], first), (model.used[1], second)):
        torch.testing.assert_close(
            bn.running_mean, h.mean((0, 2, 3)), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(
            bn.running_var,
            h.var((0, 2, 3), unbiased=True),
            atol=1e-5,
            rtol=1e-5)
    # a BN off the path keeps what it had
    assert torch.all(model.unused[1].running_mean == 0.25)


class Indexed(torch.utils.data.Dataset):

    def __len__(self):
        return 50

    def __getitem__(self, i):
        # a random "augmentation": seeded per index by calibration_batches
        return dict(index=i, noise=torch.rand(1).item())


def test_calibration_batches_do_not_depend_on_world_size(monkeypatch):
    loader = torch.utils.data.DataLoader(Indexed(), batch_size=4)

    def dealt(rank, world, seed=3):
        monkeypatch.setattr(bn_recalibration, 'get_rank', lambda: rank)
        monkeypatch.setattr(bn_recalibration, 'get_world_size', lambda: world)
        return calibration_batches(loader, 18, seed=seed)

    alone = dealt(0, 1)
    assert [len(b['index']) for b in alone] == [4, 4, 4, 4, 2]
    assert len({i for b in alone for i in b['index'].tolist()}) == 18
    rank0, rank1 = dealt(0, 2), dealt(1, 2)
    merged = [None] * len(alone)
    merged[0::2], merged[1::2] = rank0, rank1
    for a, b in zip(alone, merged):
        assert torch.equal(a['index'], b['index'])
        assert torch.equal(a['noise'], b['noise'])
    # another seed draws other images
    other = dealt(0, 1, seed=4)
    assert [b['index'].tolist() for b in other] != \
        [b['index'].tolist() for b in alone]
