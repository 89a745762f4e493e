"""docs/custom_search_space.md, run block by block as a reader would: the
files written, the Python run, the commands run (with fewer steps)."""
import json
import os
import os.path as osp
import sys
import uuid

import pytest
import yaml

from helpers.doc_blocks import file_name, marked_blocks, shell_commands
from helpers.paths import REPO
from helpers.tools import run_tool_in_process

DOC = osp.join(REPO, 'docs', 'custom_search_space.md')
#: config of a documented command -> options that make it take seconds
SHRINK = {
    'my_supernet.py': [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'param_scheduler.0.end=2', 'default_hooks.checkpoint.interval=2',
        'train_dataloader.batch_size=16',
        'train_dataloader.dataset.indices=32',
        'val_dataloader.dataset.indices=32'
    ],
    'my_search.py': [
        'train_cfg.max_epochs=1', 'train_cfg.num_candidates=3',
        'train_cfg.top_k=1', 'train_cfg.calibrate_samples=16',
        'val_dataloader.dataset.indices=32'
    ],
}


def _run(command, work):
    python, tool, config, *args = command
    assert python == 'python', command
    args = [
        a.replace('work_dirs/', f'{work}/').replace('iter_1000.pth',
                                                    'iter_2.pth') for a in args
    ]
    if tool.endswith('train.py'):
        extra = SHRINK[config] + [f'experiment_name=t{uuid.uuid4().hex[:8]}']
        args += extra if '--cfg-options' in args else \
            ['--cfg-options'] + extra
    proc = run_tool_in_process(tool, [config, *args])
    assert proc.returncode == 0, \
        f'{command}\n' + proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout


@pytest.fixture
def forget_my_space():
    """The reader's module is imported by the blocks and the configs;
    drop it after the test (its types stay registered)."""
    yield
    sys.modules.pop('my_space', None)


def test_custom_search_space_doc_runs_as_written(tmp_path, monkeypatch,
                                                 forget_my_space):
    blocks = marked_blocks(DOC)
    assert [name for name, _, _ in blocks] == [
        'space', 'try', 'flops', 'supernet-config', 'search-config',
        'subnet-config', 'run'
    ]
    # the reader's folder: the repository root, holding their files
    os.symlink(osp.join(REPO, 'configs'), tmp_path / 'configs')
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # export PYTHONPATH=$PWD
    namespace, outputs = {}, []
    for name, lang, body in blocks:
        if file_name(body):
            (tmp_path / file_name(body)).write_text(body)
        elif lang == 'python':
            exec(compile(body, f'{DOC}:{name}', 'exec'), namespace)
        else:
            outputs += [_run(c, tmp_path) for c in shell_commands(body)]

    # section 2: six decisions of four choices, one path run
    choices = namespace['mutator'].choices
    assert list(choices) == [
        f'backbone.layers.{s}.{b}' for s in range(3) for b in range(2)
    ]
    assert all(names == ['conv_3x3', 'conv_5x5', 'dilated_3x3', 'skip']
               for names in choices.values())
    assert tuple(namespace['logits'].shape) == (2, 10)
    # section 3: the table agrees with a trace of the path it prices
    from mmrazor_lite.estimators import count_flops_params
    table, path = namespace['table'], namespace['path']
    namespace['mutator'].set_choices(path)
    flops, _ = count_flops_params(namespace['supernet'].architecture,
                                  (1, 3, 32, 32))
    assert table.flops_of(path) == flops
    assert table.flops_of(namespace['cheapest']) < 4e6 < \
        table.flops_of(table.largest())
    # section 5: get_flops of the largest path, a search within the budget
    # and get_flops of the subnet it found
    largest = json.loads(
        _run([
            'python', 'tools/analysis_tools/get_flops.py', 'my_supernet.py',
            '--shape', '32', '32', '--json'
        ], tmp_path))
    assert largest['flops'] == table.flops_of(table.largest())
    assert 'largest path' in outputs[0] and f'{largest["flops"]:,}' in \
        outputs[0]
    found = yaml.safe_load(
        (tmp_path / 'my_search' / 'best_fix_subnet.yaml').read_text())
    assert set(found) == set(choices)
    subnet_flops = table.flops_of({k: v['chosen'] for k, v in found.items()})
    assert subnet_flops <= 4e6
    assert f'FLOPs:       {subnet_flops:,}' in outputs[3]
