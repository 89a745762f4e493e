import os
import os.path as osp
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest

from mmrazor_lite.structures import GENOTYPES, Genotype, dump_genotype
from helpers.paths import REPO
from helpers.tools import load_module

vg = load_module('tools/analysis_tools/visualize_genotype.py')

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
SHIPPED = sorted(GENOTYPES)
# a hand-made cell: a node reading one input twice, a partial concat
CUSTOM = Genotype(
    normal=[('sep_conv_3x3', 1), ('dil_conv_5x5', 1), ('max_pool_3x3', 0),
            ('skip_connect', 2), ('avg_pool_3x3', 3), ('sep_conv_5x5', 0)],
    normal_concat=[3, 4],
    reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('dil_conv_3x3', 2),
            ('sep_conv_5x5', 1), ('skip_connect', 3), ('skip_connect', 2)],
    reduce_concat=[2, 3, 4])


def expected(pairs, concat):
    """Edges written out by hand from the DARTS state numbering."""
    name = {0: 'c_{k-2}', 1: 'c_{k-1}'}
    label = [name.get(i, str(i - 2)) for i in range(len(pairs) // 2 + 2)]
    edges = [(label[i], str(n // 2), op) for n, (op, i) in enumerate(pairs)]
    return edges, [label[i] for i in concat]


def check_structure(structure, genotype):
    assert set(structure) == {'normal', 'reduce'}
    for cell in ('normal', 'reduce'):
        edges, outputs = expected(
            getattr(genotype, cell), getattr(genotype, f'{cell}_concat'))
        assert [tuple(e) for e in structure[cell]['edges']] == edges
        assert list(structure[cell]['outputs']) == outputs


def svg_texts(path):
    root = ET.parse(path).getroot()
    return [
        ''.join(el.itertext()).strip() for el in root.iter()
        if el.tag.endswith('}text')
    ]


@pytest.mark.parametrize('name', SHIPPED)
def test_shipped_png(tmp_path, name):
    genotype = GENOTYPES[name]
    out = tmp_path / 'cells.png'
    structure = vg.draw_genotype(genotype, str(out), title=name)
    check_structure(structure, genotype)
    for cell in ('normal', 'reduce'):
        assert len(structure[cell]['edges']) == 8
        assert structure[cell]['outputs'] == ['0', '1', '2', '3']
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 20_000
    # atomic write: the picture and no leftover temporary file
    assert os.listdir(tmp_path) == ['cells.png']


@pytest.mark.parametrize('name', SHIPPED)
def test_edges_avoid_other_nodes(name):
    # a layout whose lines run through nodes would make the picture lie
    genotype = GENOTYPES[name]
    for cell in ('normal', 'reduce'):
        structure = vg.cell_structure(
            getattr(genotype, cell), getattr(genotype, f'{cell}_concat'))
        pos, edges = vg._plan(4, structure)
        assert set(pos) == {'c_{k-2}', 'c_{k-1}', '0', '1', '2', '3', 'c_{k}'}
        assert pos['c_{k-2}'][0] < min(pos[str(n)][0] for n in range(4))
        assert pos['c_{k}'][0] > max(pos[str(n)][0] for n in range(4))
        assert len(edges) == 12  # 8 ops + 4 concat
        for src, dst, op, rad, pts in edges:
            assert pos[src][0] < pos[dst][0]  # left to right
            for node, p in pos.items():
                if node not in (src, dst):
                    gap = np.linalg.norm(pts - p, axis=1).min()
                    assert gap > vg.RADIUS, (cell, src, dst, node)


def test_svg_has_every_op_label_and_node(tmp_path):
    out = tmp_path / 'cells.svg'
    vg.draw_genotype(CUSTOM, str(out), title='custom cells')
    texts = svg_texts(out)
    ops = Counter(op for op, _ in CUSTOM.normal + CUSTOM.reduce)
    assert Counter(t for t in texts if t in ops) == ops  # one per edge
    assert 'custom cells' in texts
    assert {'0', '1', '2'} <= set(texts)


def test_same_input_twice_draws_two_distinct_edges():
    structure = vg.cell_structure(CUSTOM.normal, CUSTOM.normal_concat)
    _, edges = vg._plan(3, structure)
    twins = [e for e in edges if e[:2] == ('c_{k-1}', '0')]
    assert len(twins) == 2 and twins[0][3] != twins[1][3]


@pytest.mark.parametrize('ext', ['yaml', 'json'])
def test_dumped_file_draws_through_main(tmp_path, ext):
    path = str(tmp_path / f'searched.{ext}')
    dump_genotype(CUSTOM, path)
    out = tmp_path / 'cells.svg'
    structure = vg.main([path, '--out', str(out)])
    check_structure(structure, CUSTOM)
    assert structure['normal']['outputs'] == ['1', '2']
    assert 'searched' in svg_texts(out)  # default title: the file name


def test_cli_writes_the_picture(tmp_path):
    out = tmp_path / 'sub' / 'v2.png'  # a missing folder is created
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([REPO,
                                    os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([
        sys.executable, 'tools/analysis_tools/visualize_genotype.py',
        'DARTS_V2', '--out',
        str(out), '--name', 'DARTS V2'
    ],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    assert str(out) in proc.stdout


@pytest.mark.parametrize('out', ['cells.jpg', 'cells', 'cells.PDF'])
def test_bad_extension(tmp_path, out):
    bad = osp.splitext(out)[1].lower().lstrip('.')
    with pytest.raises(SystemExit, match=f"'{bad}'") as info:
        vg.main(['PC_DARTS_cifar', '--out', str(tmp_path / out)])
    assert 'png' in str(info.value) and 'svg' in str(info.value)
    with pytest.raises(ValueError, match=f"'{bad}'"):
        vg.draw_genotype(GENOTYPES['DARTS_V1'], str(tmp_path / out))
    assert os.listdir(tmp_path) == []


def test_unknown_name_lists_the_shipped_ones():
    with pytest.raises(SystemExit) as info:
        vg.main(['PC_DARTS_cifar10'])
    message = str(info.value)
    assert 'PC_DARTS_cifar10' in message
    assert all(name in message for name in SHIPPED)


def test_missing_file(tmp_path):
    path = str(tmp_path / 'nope.yaml')
    with pytest.raises(SystemExit, match='nope.yaml'):
        vg.main([path, '--out', str(tmp_path / 'x.png')])


def test_invalid_genotype_names_the_file_and_keeps_old_picture(tmp_path):
    path = tmp_path / 'broken.yaml'
    dump_genotype(CUSTOM, str(path))
    path.write_text(path.read_text().replace('avg_pool_3x3', 'conv_9x9'))
    out = tmp_path / 'cells.png'
    out.write_bytes(b'old')
    with pytest.raises(ValueError, match='broken.yaml.*conv_9x9'):
        vg.main([str(path), '--out', str(out)])
    assert out.read_bytes() == b'old'
    # an out-of-range input index fails in draw_genotype too
    bad = CUSTOM._replace(reduce_concat=[2, 9])
    with pytest.raises(ValueError, match='reduce_concat'):
        vg.draw_genotype(bad, str(out))
    assert out.read_bytes() == b'old'
