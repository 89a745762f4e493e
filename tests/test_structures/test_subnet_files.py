"""Subnet and genotype files are read strictly and checked against the
network they build (issue 13, defect 7): a slip in a hand-edited file is an
error naming the file, the entry and what is allowed, never a silent
change of meaning or a shape error at the first forward."""
import glob
import json
import os.path as osp

import pytest
import torch
import yaml
from mmengine.registry import init_default_scope

import mmrazor_lite  # noqa: F401
from mmrazor_lite.registry import MODELS
from mmrazor_lite.spaces import DartsEvalNetwork
from mmrazor_lite.structures import SubnetFileError, load_subnet_file
from mmrazor_lite.structures.genotype import (GENOTYPES, Genotype,
                                              dump_genotype, load_genotype)
from mmrazor_lite.structures.mmrazor_legacy import load_mmrazor_legacy_subnet
from helpers.paths import REPO


# ------------------------------------------------------------ subnet files
@pytest.mark.parametrize('name,text,where', [
    ('s.yaml', 'a.b:\n  chosen: x\nc:\n  chosen: z\na.b:\n  chosen: y\n',
     r"key 'a\.b' is given on line 5 \(first on line 1\)"),
    ('s.json', '{"a.b": {"chosen": "x"}, "a.b": {"chosen": "y"}}',
     r"key 'a\.b' is given twice in one object"),
    ('s.yaml', 'a.b:\n  chosen: x\n  chosen: y\n',
     r"key 'chosen' is given on line 3 \(first on line 2\)"),
])
def test_subnet_duplicate_key_is_an_error(tmp_path, name, text, where):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SubnetFileError, match=where) as info:
        load_subnet_file(str(path))
    assert str(path) in str(info.value)


def test_mmrazor_legacy_subnet_duplicate_key_is_an_error(tmp_path):
    path = tmp_path / 'legacy.yaml'
    path.write_text('stage_0_block_0:\n  chosen: [shuffle_3x3]\n'
                    'stage_0_block_0:\n  chosen: [shuffle_7x7]\n')
    with pytest.raises(
            SubnetFileError,
            match=r"legacy\.yaml: key 'stage_0_block_0' .*line 3"):
        load_mmrazor_legacy_subnet(str(path), ['backbone.layers.0.0'])


def test_yaml_merge_may_override_but_not_repeat(tmp_path):
    path = tmp_path / 's.yaml'
    text = 'base: &b {chosen: x}\nother:\n  <<: *b\n  chosen: y\n'
    path.write_text(text)  # a merged key overridden on purpose
    assert load_subnet_file(str(path)) == {'base': 'x', 'other': 'y'}
    path.write_text(text + 'base: {chosen: z}\n')
    with pytest.raises(
            SubnetFileError,
            match=r"key 'base' is given on "
            r'line 5 \(first on line 1\)'):
        load_subnet_file(str(path))


def test_non_utf8_file_names_file_and_offset(tmp_path):
    subnet = tmp_path / 'latin1.yaml'
    subnet.write_bytes('a:\n  chosen: caf\u00e9\n'.encode('latin-1'))
    with pytest.raises(
            SubnetFileError,
            match=r'latin1\.yaml: not UTF-8 text: byte 0xe9 at '
            r'offset 16 \(line 2\)'):
        load_subnet_file(str(subnet))
    genotype = tmp_path / 'g.yaml'
    genotype.write_bytes(b'normal: []\n\xff\n')
    with pytest.raises(
            ValueError,
            match=r'g\.yaml: not UTF-8 text: byte 0xff at '
            r'offset 11 \(line 2\)'):
        load_genotype(str(genotype))


# ---------------------------------------------------------- genotype files
def _genotype_file(tmp_path, edit, name='PC_DARTS_cifar', ext='yaml'):
    data = GENOTYPES[name].to_dict()
    edit(data)
    path = str(tmp_path / f'g.{ext}')
    with open(path, 'w') as f:  # as a user's editor would, unchecked
        f.write(
            json.dumps(data) if ext ==
            'json' else yaml.safe_dump(data, default_flow_style=None))
    return path


def _set(cell, n, value):

    def edit(data):
        data[cell][n] = value

    return edit


@pytest.mark.parametrize('edit,match', [
    (_set('normal', 2, ['sep_conv_3x3', 1.7]),
     r"normal\[2\] \(node 1\) must be \[op name, integer input state index"
     r"\], got \['sep_conv_3x3', 1\.7\] \(op str, index float\)"),
    (_set('normal', 2, ['sep_conv_3x3', '1']), r'normal\[2\].*index str'),
    (_set('reduce', 5, ['sep_conv_3x3', True]), r'reduce\[5\].*index bool'),
    (_set('reduce', 0, ['sep_conv_3x3', 1, 0]),
     r'reduce\[0\] \(node 0\) must be \[op, input state index\], got '
     r"\['sep_conv_3x3', 1, 0\]"),
    (_set('normal', 7, 'sep_conv_3x3'), r'normal\[7\] \(node 3\) must be'),
    (_set('normal', 1, [3, 0]), r'normal\[1\].*op int'),
    (_set('normal_concat', 1, 3.0), r'normal_concat \[2, 3\.0, 4, 5\] must '
     r'be a non-empty list of integer states in 0\.\.5'),
    (_set('reduce_concat', 0, 5), r'reduce_concat \[5, 3, 4, 5\] names a '
     r'state twice'),
])
@pytest.mark.parametrize('ext', ['yaml', 'json'])
def test_genotype_entry_errors_name_file_cell_entry(tmp_path, edit, match,
                                                    ext):
    path = _genotype_file(tmp_path, edit, ext=ext)
    with pytest.raises(ValueError, match=match) as info:
        load_genotype(path)
    assert str(info.value).startswith(f'{path}: ')


def test_genotype_duplicate_key_is_an_error(tmp_path):
    path = tmp_path / 'g.yaml'
    dump_genotype(GENOTYPES['DARTS_V2'], str(path))
    path.write_text(path.read_text() + 'normal_concat: [3, 4, 5]\n')
    with pytest.raises(
            ValueError,
            match=r"g\.yaml: key 'normal_concat' is "
            r'given on line \d+ \(first on line \d+\)'):
        load_genotype(str(path))


def test_dead_node_is_an_error(tmp_path):
    # PC_DARTS_cifar's normal nodes read only the cell inputs: a node left
    # out of the concat would be built, trained and never used
    path = _genotype_file(tmp_path,
                          lambda d: d.update(normal_concat=[2, 3, 4]))
    with pytest.raises(
            ValueError,
            match=r'normal node\(s\) \[3\] \(state\(s\) \[5\]\) '
            r'feed nothing'):
        load_genotype(path)
    # DARTS_V2: node 3 reads state 2, so leaving node 0 out is fine
    data = GENOTYPES['DARTS_V2'].to_dict()
    data['normal_concat'] = [3, 4, 5]
    assert Genotype.from_dict(data).normal_concat == [3, 4, 5]
    # and every shipped cell passes the stricter checks
    files = glob.glob(osp.join(REPO, 'configs', 'nas', '*darts', '*.yaml'))
    assert len(files) >= 4
    for path in files:
        name = osp.splitext(osp.basename(path))[0]
        assert load_genotype(path) == GENOTYPES[name]
    for genotype in GENOTYPES.values():
        genotype.validate()


def test_genotype_objects_are_checked_too():
    pairs = list(GENOTYPES['DARTS_V2'].normal)
    pairs[3] = ('sep_conv_3x3', 1.7)
    with pytest.raises(ValueError, match=r'normal\[3\].*index float'):
        DartsEvalNetwork(GENOTYPES['DARTS_V2']._replace(normal=pairs), 8, 5)


# ------------------------------------------- genotype vs the head it feeds
def _classifier(genotype, in_channels, aux_channels):
    init_default_scope('mmrazor_lite')
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='DartsEvalNetwork',
                genotype=genotype,
                channels=4,
                num_layers=4,
                auxiliary=True),
            neck=None,
            head=dict(
                type='DartsEvalHead',
                num_classes=10,
                in_channels=in_channels,
                aux_channels=aux_channels)))


def test_head_width_that_does_not_fit_the_genotype_is_named():
    # the config's head widths are for a 4-state concat (4 x 16 channels)
    fits = _classifier('DARTS_V2', 64, 64)
    assert fits.backbone.out_channels == 64
    data = GENOTYPES['DARTS_V2'].to_dict()
    data['normal_concat'] = [3, 4, 5]  # 3 x 16 = 48 channels
    model = _classifier(data, 64, 64)
    x = torch.randn(2, 3, 32, 32)
    with pytest.raises(
            ValueError,
            match=r'model\.head\.in_channels is 64 but the '
            r'backbone gives 48 channels \(its out_channels: '
            r'len\(normal_concat\).*set model\.head\.'
            r'in_channels=48'):
        model(x, mode='tensor')
    data = GENOTYPES['DARTS_V2'].to_dict()
    data['reduce_concat'] = [3, 4, 5]  # the aux map: 3 x 16
    model = _classifier(data, 64, 64).train()
    with pytest.raises(
            ValueError,
            match=r'model\.head\.aux_channels is 64 '
            r'but the backbone gives 48 channels'):
        model.head.forward_aux(model.extract_feat(x))
