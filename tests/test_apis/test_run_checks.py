"""Settings that would be ignored or misread are refused before a run
starts (issue 13, defect 8): unknown --cfg-options keys, a head with fewer
classes than its dataset."""
import json
import os.path as osp

import pytest

from mmrazor_lite.apis import build_config
from helpers.paths import REPO
from helpers.tools import run_tool_in_process

SUPERNET = osp.join(REPO, 'configs', 'nas', 'spos',
                    'spos_supernet_shufflenetv2_8xb128_in1k.py')
PCDARTS_SEARCH = osp.join(REPO, 'configs', 'nas', 'pcdarts',
                          'pcdarts_search_1xb256_cifar10.py')
DEMO_SUPERNET = osp.join(REPO, 'configs', 'demo',
                         'spos_supernet_shufflenetv2_digits.py')


def test_unknown_top_level_option_is_refused_with_close_matches():
    # an epoch-based config: max_iters exists nowhere in it
    with pytest.raises(KeyError) as err:
        build_config(PCDARTS_SEARCH, cfg_options={'max_iters': 3})
    message = str(err.value)
    assert "no top-level key 'max_iters'" in message
    assert 'max_epochs' in message  # what it probably meant
    assert 'pcdarts_search_1xb256_cifar10.py' in message
    # a typo of a real key gets the close spelling
    with pytest.raises(KeyError, match='train_cfg'):
        build_config(SUPERNET, cfg_options={'trian_cfg.max_iters': 3})


def test_runner_keys_and_nested_keys_pass():
    cfg = build_config(
        SUPERNET,
        cfg_options={
            'train_cfg.max_iters': 3,
            'experiment_name': 'x',
            'find_unused_parameters': False,
            'load_from': None
        })
    assert cfg.train_cfg.max_iters == 3 and cfg.experiment_name == 'x'


def _warnings_of(config, cfg_options):
    """``(cfg, logged messages)`` of ``build_config(config, ...)``."""
    import logging

    from mmengine.logging import MMLogger
    records = []
    handler = type(
        'H', (logging.Handler, ), {
            'emit': lambda self, record: records.append(record.getMessage())
        })()
    MMLogger.get_current_instance().addHandler(handler)
    try:
        cfg = build_config(config, cfg_options=cfg_options)
    finally:
        MMLogger.get_current_instance().removeHandler(handler)
    return cfg, records


def test_overriding_a_config_variable_warns():
    """The PC-DARTS ImageNet search's ``warmup_epochs = 5`` fed its
    schedulers when the file was read: overriding it alone changes nothing
    else, and the log says so."""
    config = osp.join(REPO, 'configs', 'nas', 'pcdarts',
                      'pcdarts_search_8xb128_in1k.py')
    cfg, records = _warnings_of(config, {'warmup_epochs': 2})
    # indeed not applied: the schedulers are the file's
    assert cfg.param_scheduler == build_config(config).param_scheduler
    assert any('warmup_epochs is a variable of' in r
               and 'overriding it changes only itself' in r
               for r in records), records


def test_overriding_the_length_variable_names_the_one_way():
    """``max_iters`` alone (the demo's 1000 fed train_cfg and the
    schedulers) is refused, naming ``train_cfg.max_iters``, which moves
    every key tied to the run's length."""
    with pytest.raises(KeyError, match=r'Set train_cfg\.max_iters=3 instead'):
        build_config(DEMO_SUPERNET, cfg_options={'max_iters': 3})


def test_head_with_fewer_classes_than_the_dataset_is_named(tmp_path):
    proc = run_tool_in_process('tools/train.py', [
        DEMO_SUPERNET, '--work-dir',
        str(tmp_path), '--cfg-options',
        'model.architecture.head.num_classes=5',
        'model.architecture.head.loss.num_classes=5',
        'data_preprocessor.num_classes=5', 'train_cfg.max_iters=2'
    ])
    assert proc.returncode != 0
    assert "head (architecture.head) has num_classes=5" in proc.stderr
    assert 'train_dataloader.dataset (SklearnDigits) has 10 classes' in \
        proc.stderr
    assert not osp.exists(osp.join(tmp_path, 'iter_1.pth'))


def test_get_flops_and_export_check_options_as_training_does(tmp_path):
    """The analysis and export tools read --cfg-options the same way: a
    misplaced key is refused there too, and num_classes= applies."""
    flops = run_tool_in_process(
        'tools/analysis_tools/get_flops.py',
        [DEMO_SUPERNET, '--cfg-options', 'max_epochs=3'])
    assert flops.returncode == 1
    assert "no top-level key 'max_epochs'" in flops.stderr
    flops = run_tool_in_process(
        'tools/analysis_tools/get_flops.py',
        [DEMO_SUPERNET, '--json', '--cfg-options', 'num_classes=4'])
    assert flops.returncode == 0, flops.stderr[-2000:]
    ten = run_tool_in_process('tools/analysis_tools/get_flops.py',
                              [DEMO_SUPERNET, '--json'])
    # a 4-way head on the 1024 features: 6 x 1024 weights, 6 biases fewer
    params = [json.loads(p.stdout)['params'] for p in (flops, ten)]
    assert params[1] - params[0] == 6 * 1024 + 6
    checkpoint = tmp_path / 'any.pth'
    checkpoint.write_bytes(b'')
    export = run_tool_in_process('tools/model_converters/export_subnet.py', [
        DEMO_SUPERNET,
        str(checkpoint), '--out',
        str(tmp_path / 'x.pth'), '--cfg-options', 'trian_cfg.max_iters=3'
    ])
    assert export.returncode == 1
    assert "no top-level key 'trian_cfg'" in export.stderr
    assert 'Traceback' not in export.stderr
