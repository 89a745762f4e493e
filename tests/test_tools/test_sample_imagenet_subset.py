"""tools/dataset_converters/sample_imagenet_subset.py: PC-DARTS subsets."""
import argparse
import hashlib
import os
import os.path as osp
import re
import shlex
import subprocess
import sys

import pytest
from mmengine.config import Config, DictAction

from helpers.fake_data import make_fake_imagenet
from helpers.paths import REPO
from helpers.tools import load_module

sis = load_module('tools/dataset_converters/sample_imagenet_subset.py')

FRACTIONS = [0.1, 0.025]
NAMES = ['train_10pct', 'train_2.5pct']


@pytest.fixture(scope='module', params=['folders', 'ann'])
def imagenet(request, tmp_path_factory):
    """5 classes x 40 train images, in either layout."""
    root = str(tmp_path_factory.mktemp(request.param))
    return make_fake_imagenet(
        root, num_classes=5, per_class=40, size=8, layout=request.param)


def write_ann(root, counts):
    """Ann-layout root whose class c has counts[c] images (files not made:
    only paths are read)."""
    os.makedirs(osp.join(root, 'train'))
    os.makedirs(osp.join(root, 'meta'))
    lines = [
        f'c{c}/img_{i}.JPEG {c}\n' for c, n in enumerate(counts)
        for i in range(n)
    ]
    with open(osp.join(root, 'meta', 'train.txt'), 'w') as f:
        f.writelines(lines)
    return root


def all_train(root):
    """(path, label) of every train image, as the dataset itself sees it."""
    from mmrazor_lite.datasets import CheckedImageNet
    kwargs = {} if osp.isfile(osp.join(root, 'meta', 'train.txt')) else \
        dict(metainfo=dict(classes=tuple('abcde')))
    ds = CheckedImageNet(data_root=root, split='train', **kwargs)
    prefix = osp.join(root, 'train') + os.sep
    return {(d['img_path'][len(prefix):], d['gt_label'])
            for d in map(ds.get_data_info, range(len(ds)))}


def by_class(subset):
    out = {}
    for path, label in subset:
        out.setdefault(label, []).append(path)
    return out


def run_main(capsys, *argv):
    rc = sis.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_counts_disjoint_and_only_train_images(imagenet):
    subsets = sis.sample_subsets(imagenet, FRACTIONS, seed=0)
    train = all_train(imagenet)
    assert len(train) == 200
    for subset, f in zip(subsets, FRACTIONS):
        assert subset == sorted(subset)
        assert set(subset) <= train  # right labels too
        counts = {c: len(p) for c, p in by_class(subset).items()}
        assert counts == {c: round(f * 40) for c in range(5)}
        assert all(
            osp.isfile(osp.join(imagenet, 'train', p)) for p, _ in subset)
    assert not set(subsets[0]) & set(subsets[1])


def test_rounding_minimum_and_overrun(tmp_path):
    root = write_ann(str(tmp_path), [40, 37, 13, 3, 2])
    subsets = sis.sample_subsets(root, FRACTIONS, seed=0)
    assert [len(by_class(subsets[0])[c]) for c in range(5)] == [4, 4, 1, 1, 1]
    assert [len(by_class(subsets[1])[c]) for c in range(5)] == [1, 1, 1, 1, 1]
    # round(1.5) + round(1.5) > 3: the later list is cut, never overlaps
    a, b = sis.sample_subsets(root, [0.5, 0.5], seed=0)
    assert [len(by_class(a)[c]) for c in (3, 4)] == [2, 1]
    assert [len(by_class(b)[c]) for c in (3, 4)] == [1, 1]
    assert not set(a) & set(b)
    # round(1.6) would take both images: the second list still gets one
    a, b = sis.sample_subsets(root, [0.8, 0.15], seed=0)
    assert len(by_class(a)[4]) == len(by_class(b)[4]) == 1


def test_listing_order_does_not_matter(tmp_path):
    root = write_ann(str(tmp_path), [30, 20])
    before = sis.sample_subsets(root, FRACTIONS, seed=0)
    ann = tmp_path / 'meta' / 'train.txt'
    ann.write_text(''.join(reversed(ann.read_text().splitlines(True))))
    assert sis.sample_subsets(root, FRACTIONS, seed=0) == before


def test_layouts_pick_the_same_images(tmp_path):
    picks = []
    for layout in ('folders', 'ann'):
        root = make_fake_imagenet(
            str(tmp_path / layout), 3, 20, size=8, layout=layout)
        picks.append([[osp.basename(p) for p, _ in s]
                      for s in sis.sample_subsets(root, FRACTIONS, seed=3)])
    assert picks[0] == picks[1]


def test_seed_reproducible_hash_file_and_summary(imagenet, tmp_path, capsys):
    outputs = {}
    for run, seed in (('a', 0), ('b', 0), ('c', 1)):
        out_dir = tmp_path / run
        rc, out, _ = run_main(capsys, imagenet, '--out-dir', out_dir, '--seed',
                              seed)
        assert rc == 0
        outputs[run] = {}
        for name, n in zip(NAMES, (20, 5)):
            data = (out_dir / f'{name}.txt').read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            sha_file = (out_dir / f'{name}.sha256').read_text()
            assert sha_file == f'{digest}  {name}.txt\n'
            assert (f'{name}: {out_dir / name}.txt  images={n}  classes=5  '
                    f'sha256={digest}') in out
            outputs[run][name] = (data, sha_file)
    assert outputs['a'] == outputs['b']
    for name in NAMES:
        assert outputs['a'][name][0] != outputs['c'][name][0]


def test_class_choice_independent_of_other_classes(tmp_path):
    root = make_fake_imagenet(str(tmp_path), 4, 40, size=8)
    before = [by_class(s) for s in sis.sample_subsets(root, FRACTIONS, 0)]
    for i in range(40, 120):  # class 0 grows; files are never opened
        (tmp_path / 'train' / 'n00000000' / f'extra_{i}.JPEG').write_bytes(b'')
    after = [by_class(s) for s in sis.sample_subsets(root, FRACTIONS, 0)]
    for b, a in zip(before, after):
        assert all(a[c] == b[c] for c in (1, 2, 3))
    assert len(after[0][0]) == 12 and after[0][0] != before[0][0]


@pytest.mark.parametrize('layout', ['folders', 'ann'])
def test_printed_settings_load_the_subset(tmp_path, capsys, layout):
    import mmrazor_lite  # noqa: F401  (registers CheckedImageNet)
    from mmrazor_lite.registry import DATASETS
    imagenet = make_fake_imagenet(str(tmp_path), 5, 40, size=8, layout=layout)
    rc, out, _ = run_main(capsys, imagenet)  # default out dir: meta/
    assert rc == 0
    assert "train_10pct: ann_file='meta/train_10pct.txt' data_prefix='train'" \
        in out
    opts = out.split('--cfg-options', 1)[1].splitlines()[0]
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options'] +
                                shlex.split(opts)).cfg_options
    # a search-like config as shipped: only data_root / split / pipeline
    dataset = dict(
        type='CheckedImageNet',
        data_root='data/imagenet',
        split='train',
        pipeline=[])
    cfg = Config(
        dict(
            train_dataloader=dict(dataset=dataset),
            train_cfg=dict(arch_dataloader=dict(dataset=dict(dataset)))))
    cfg.merge_from_dict(options)
    train = all_train(imagenet)
    loaders = (cfg.train_dataloader, cfg.train_cfg.arch_dataloader)
    for loader, name in zip(loaders, NAMES):
        ds = DATASETS.build(loader.dataset)
        loaded = [(d['img_path'], d['gt_label'])
                  for d in map(ds.get_data_info, range(len(ds)))]
        with open(osp.join(imagenet, 'meta', f'{name}.txt')) as f:
            listed = [line.rsplit(' ', 1) for line in f.read().splitlines()]
        assert loaded == [(osp.join(imagenet, 'train', p), int(c))
                          for p, c in listed]
        prefix = osp.join(imagenet, 'train') + os.sep
        assert {(p[len(prefix):], c) for p, c in loaded} <= train
        assert len(loaded) == {NAMES[0]: 20, NAMES[1]: 5}[name]


def _folders_with_empty_class(root):
    make_fake_imagenet(root, 2, 3, size=8)
    os.makedirs(osp.join(root, 'train', 'n99999999'))


def _malformed(root, line):
    write_ann(root, [3, 3])
    with open(osp.join(root, 'meta', 'train.txt'), 'a') as f:
        f.write(line + '\n')


@pytest.mark.parametrize('setup,args,message', [
    (lambda r: os.makedirs(r), [], r'train does not exist'),
    (lambda r: os.makedirs(osp.join(r, 'train')), [], 'no class folders'),
    (_folders_with_empty_class, [], 'without images.*n99999999'),
    (lambda r: _malformed(r, 'lonely.JPEG'), [],
     r"train.txt:7: malformed line 'lonely.JPEG'"),
    (lambda r: _malformed(r, 'a.JPEG dog'), [], "malformed line 'a.JPEG dog'"),
    (lambda r: _malformed(r, 'c0/img_0.JPEG 0'), [],
     "'c0/img_0.JPEG' is listed twice"),
    (lambda r: write_ann(r, [3, 1]), [], r'class 1 .*c1/img_0.JPEG.* 1 imag'),
    (lambda r: write_ann(r, [3]), ['--fractions', '0.1', '1'
                                   ], r'fraction 1.0 is not in \(0, 1\)'),
    (lambda r: write_ann(r, [3]), ['--fractions', '0'], 'fraction 0.0 is not'),
    (lambda r: write_ann(r, [3]), ['--fractions', '0.6', '0.5'
                                   ], r'sum to 1.1 > 1'),
    (lambda r: write_ann(r, [3]), ['--names', 'only_one'],
     r"1 names \['only_one'\] for 2 fractions"),
    (lambda r: write_ann(r, [3]), ['--ann-file', 'meta/nope.txt'
                                   ], r'nope.txt does not exist'),
    (lambda r: write_ann(r, [3]), ['--names', 'train', 'small'
                                   ], r'refusing to write .*meta/train.txt'),
])
def test_errors_name_the_problem_and_write_nothing(tmp_path, capsys, setup,
                                                   args, message):
    root = str(tmp_path / 'root')
    setup(root)
    before = sorted(p for p in tmp_path.rglob('*'))
    rc, out, err = run_main(capsys, root, *args)
    assert rc == 1 and re.search(message, err), err
    assert sorted(p for p in tmp_path.rglob('*')) == before


def test_cli(tmp_path):
    root = make_fake_imagenet(str(tmp_path), 3, 20, size=8, layout='ann')
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([REPO,
                                    os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([
        sys.executable, 'tools/dataset_converters/sample_imagenet_subset.py',
        root, '--seed', '5'
    ],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name, n in zip(NAMES, (6, 3)):
        path = osp.join(root, 'meta', f'{name}.txt')
        with open(path, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        assert f'{path}  images={n}  classes=3  sha256={digest}' in proc.stdout
    assert 'train_dataloader.dataset.ann_file=meta/train_10pct.txt' in \
        proc.stdout
