"""The demo's four SPOS stages (a few iterations; the full run is
`python tools/demo.py`)."""
import re

import pytest
import torch
import yaml

import mmrazor_lite  # noqa: F401  (allow-lists what checkpoints hold)
from helpers.tools import run_tool


@pytest.mark.parametrize('space', ['shufflenet', 'mobilenet'])
def test_demo_runs_all_four_stages(tmp_path, space):
    proc = run_tool([
        'python', 'tools/demo.py', '--space', space, '--work-dir',
        str(tmp_path), '--iters', '10', '--generations', '1',
        '--retrain-iters', '5'
    ],
                    timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    stage2 = re.search(
        r'\[demo\] stage 2: searched (\d+) candidates; best '
        r'subnet \[([a-z0-9_ ]+)\], ([\d,]+) FLOPs \(budget '
        r'([\d,]+),', out)
    assert stage2, out[-2000:]
    assert int(stage2.group(1)) == 16  # one generation: the population
    flops = int(stage2.group(3).replace(',', ''))
    assert flops <= int(stage2.group(4).replace(',', ''))
    top1 = re.search(
        r'\[demo\] stage 4: retrained subnet \[([a-z0-9_ ]+)\] '
        r'test top-1 ([\d.]+) %', out)
    assert top1 and top1.group(1) == stage2.group(2)
    assert 0.0 <= float(top1.group(2)) <= 100.0

    # the files of each stage, and their links: stage 3 starts from the
    # search's weights, stage 4 tests the retrained subnet
    found = yaml.safe_load(
        (tmp_path / 'search' / 'best_fix_subnet.yaml').read_text())
    assert [v['chosen'].replace('shuffle_', '') for v in found.values()] \
        == top1.group(1).split()
    retrained = torch.load(
        tmp_path / 'retrain' / 'iter_5.pth', weights_only=True)
    assert retrained['meta']['fix_subnet'] == {
        k: v['chosen']
        for k, v in found.items()
    }
    assert not any('_candidates' in k for k in retrained['state_dict'])
    assert (tmp_path / 'supernet' / 'iter_10.pth').is_file()
    # the search's picture (docs/spos.md links an example)
    pareto = tmp_path / 'search' / 'search_pareto.png'
    assert pareto.is_file() and f'drawn in {pareto}' in out


def test_demo_pcdarts_search_then_trains_the_cell(tmp_path):
    from mmrazor_lite.structures.genotype import load_genotype
    proc = run_tool([
        'python', 'tools/demo.py', '--pipeline', 'pcdarts', '--work-dir',
        str(tmp_path), '--epochs', '1', '--eval-epochs', '1'
    ],
                    timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '[demo] PC-DARTS search: 1 epochs' in proc.stdout
    printed = re.findall(r'\[demo\]   (normal|reduce): (.+)', proc.stdout)
    assert [cell for cell, _ in printed] == ['normal', 'reduce']
    written = load_genotype(str(tmp_path / 'search' / 'genotype.yaml'))
    # what is printed is what was written: node 0's two (op, input) pairs
    first = written.normal[0]
    assert f"node 0: ('{first[0]}', {first[1]})" in printed[0][1]
    assert (tmp_path / 'search' / 'genotype_epoch_1.yaml').is_file()
    # then that cell is trained and tested
    top1 = re.search(
        r'\[demo\] the found cell trained for 1 epochs: test '
        r'top-1 ([\d.]+) %', proc.stdout)
    assert top1 and 0.0 <= float(top1.group(1)) <= 100.0
    trained = torch.load(tmp_path / 'train' / 'epoch_1.pth', weights_only=True)
    assert any(k.startswith('backbone.cells.') for k in trained['state_dict'])


def test_demo_pareto_search_picks_from_the_front(tmp_path):
    proc = run_tool([
        'python', 'tools/demo.py', '--search', 'pareto', '--work-dir',
        str(tmp_path), '--iters', '10', '--generations', '2',
        '--retrain-iters', '5'
    ],
                    timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    # the front as printed is the file's, cheapest first
    front = yaml.safe_load(
        (tmp_path / 'search' / 'pareto_front.yaml').read_text())['front']
    printed = re.findall(
        r'\[demo\]\s+(\d+)\. +([\d,]+) FLOPs, val top-1 +'
        r'([\d.]+) %', out)
    assert [(int(r), int(f.replace(',', ''))) for r, f, _ in printed] == \
        [(m['rank'], m['flops']) for m in front]
    assert re.search(
        r'Pareto search scored (\d+) candidates; front of '
        rf'{len(front)} subnets', out), out[-2000:]
    # the pick: the best-scoring member within the demo's budget
    pick = re.search(
        r'picked for the budget ([\d,]+) FLOPs: subnet '
        r'\[([a-z0-9_ ]+)\], ([\d,]+) FLOPs', out)
    assert pick, out[-2000:]
    budget = int(pick.group(1).replace(',', ''))
    within = [m for m in front if m['flops'] <= budget]
    best = max(within, key=lambda m: m['score'])
    assert int(pick.group(3).replace(',', '')) == best['flops']
    # stages 3 and 4 go on from the picked subnet's sliced weights
    picked = yaml.safe_load(
        (tmp_path / 'search' / 'pick' / 'best_fix_subnet.yaml').read_text())
    assert picked == best['subnet']
    retrained = torch.load(
        tmp_path / 'retrain' / 'iter_5.pth', weights_only=True)
    assert retrained['meta']['fix_subnet'] == {
        k: v['chosen']
        for k, v in picked.items()
    }
    top1 = re.search(
        r'\[demo\] stage 4: retrained subnet \[([a-z0-9_ ]+)\] '
        r'test top-1 ([\d.]+) %', out)
    assert top1 and top1.group(1) == pick.group(2)
