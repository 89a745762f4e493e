import random

import pytest
import torch
import torch.distributed as dist
from mmpretrain.structures import DataSample

from mmrazor_lite.engine import NASDistributedDataParallel
from mmrazor_lite.registry import MODELS
from helpers.tools import free_port


def _spos(sampler=None, widen=0.25):
    return MODELS.build(
        dict(
            type='mmrazor_lite.SPOS',
            architecture=dict(
                type='mmpretrain.ImageClassifier',
                backbone=dict(
                    type='mmrazor_lite.SearchableShuffleNetV2',
                    widen_factor=widen),
                neck=dict(type='mmpretrain.GlobalAveragePooling'),
                head=dict(
                    type='mmpretrain.LinearClsHead',
                    num_classes=3,
                    in_channels=1024)),
            sampler=sampler))


def _batch():
    samples = [DataSample().set_gt_label(i % 3) for i in range(2)]
    return torch.randn(2, 3, 32, 32), samples


def test_a_new_path_per_training_step_and_reproducible_sequence():
    model = _spos()
    model.path_seed.fill_(123)
    inputs, samples = _batch()
    paths = []
    for _ in range(3):
        model.train()
        loss = model(inputs, samples, mode='loss')['loss']
        assert torch.isfinite(loss)
        paths.append(model.mutator.current_choices())
    assert int(model.path_step) == 3
    assert len({tuple(p.values()) for p in paths}) == 3
    # not in training: no new path
    model.eval()
    model(inputs, samples, mode='loss')
    assert model.mutator.current_choices() == paths[-1]
    # the same seed and counter give the same sequence (resume, other ranks)
    again = _spos()
    again.load_state_dict(model.state_dict())
    again.path_step.fill_(1)
    again.train()
    again(inputs, samples, mode='loss')
    assert again.mutator.current_choices() == paths[1]


def test_only_the_sampled_path_gets_gradients():
    model = _spos()
    model.train()
    inputs, samples = _batch()
    model(inputs, samples, mode='loss')['loss'].backward()
    choices = model.mutator.current_choices()
    for name, param in model.named_parameters():
        if '._candidates.' not in name:
            continue
        block, rest = name.split('._candidates.')
        on_path = rest.split('.')[0] == choices[block.replace(
            'architecture.', '')]
        assert (param.grad is not None) == on_path, name


def test_flops_binned_sampler_lands_in_its_bins():
    probe = _spos()
    from mmrazor_lite.estimators import ResourceTable
    table = ResourceTable(probe.architecture, probe.mutator, (1, 3, 64, 64),
                          'conv_linear')
    # two bins around a typical path's FLOPs
    low = table.flops_of(probe.mutator.sample_choices(random.Random(0))) * 0.9
    high = low * 1.3
    model = _spos(
        sampler=dict(
            type='flops_binned',
            min_flops=low,
            max_flops=high,
            num_bins=2,
            input_shape=(1, 3, 64, 64)))
    model.path_seed.fill_(0)
    inside = 0
    for _ in range(20):
        choices = model.sample_subnet()
        flops = model.sampler.table.flops_of(choices)
        inside += low <= flops < high
    assert inside >= 16
    with pytest.raises(ValueError, match='min_flops < max_flops'):
        _spos(sampler=dict(type='flops_binned', min_flops=2, max_flops=1))
    with pytest.raises(ValueError, match="'greedy'"):
        _spos(sampler=dict(type='greedy'))


def test_ddp_wrapper_on_cpu_declares_unused_parameters():
    dist.init_process_group(
        'gloo',
        rank=0,
        world_size=1,
        init_method=f'tcp://127.0.0.1:{free_port()}')
    try:
        wrapped = NASDistributedDataParallel(_spos(), device_ids=[0])
        assert wrapped.device_ids is None
        assert wrapped.find_unused_parameters is True
        plain = NASDistributedDataParallel(torch.nn.Linear(2, 2))
        assert plain.find_unused_parameters is False
    finally:
        dist.destroy_process_group()
