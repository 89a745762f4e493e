import json

import pytest

from helpers.paths import REPO, SUPERNET_CONFIG
from helpers.tools import run_tool, run_tool_in_process

PAPER = (2, 1, 0, 1, 2, 0, 2, 0, 2, 0, 2, 3, 0, 0, 0, 0, 3, 2, 3, 3)
NAMES = ['shuffle_3x3', 'shuffle_5x5', 'shuffle_7x7', 'shuffle_xception']


def _get_flops(*argv):
    """``get_flops.py ARGV`` in this process (the first test starts the real
    command)."""
    return run_tool_in_process('tools/analysis_tools/get_flops.py', argv)


def _json(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0])


def test_supernet_json_reports_the_largest_path():
    result = _json(
        run_tool([
            'python', 'tools/analysis_tools/get_flops.py', SUPERNET_CONFIG,
            '--json'
        ],
                 timeout=300))
    assert isinstance(result['params'], int)
    assert isinstance(result['flops'], int)
    assert 'multiply-adds' in result['convention']
    assert 'largest path' in result['model']
    assert result['flops'] > 330_614_464  # more than the paper subnet


def test_subnet_yaml_gives_the_paper_numbers(tmp_path):
    blocks = [(s, b) for s, n in enumerate((4, 4, 8, 4)) for b in range(n)]
    yaml_path = tmp_path / 'paper.yaml'
    yaml_path.write_text(''.join(
        f'architecture.backbone.layers.{s}.{b}:\n  chosen: {NAMES[i]}\n'
        for (s, b), i in zip(blocks, PAPER)).replace('architecture.', ''))
    result = _json(
        _get_flops(SUPERNET_CONFIG, '--subnet', str(yaml_path), '--json'))
    assert result['params'] == 3_558_952
    assert result['flops'] == 330_614_464
    proc = _get_flops(SUPERNET_CONFIG, '--subnet', str(yaml_path),
                      '--convention', 'conv_linear')
    assert 'params:      3,558,952' in proc.stdout
    assert 'conv and linear layers only' in proc.stdout


SUBNET_CONFIG = SUPERNET_CONFIG.replace('spos_supernet_', 'spos_subnet_')
PAPER_YAML = SUPERNET_CONFIG.replace(
    'spos_supernet_shufflenetv2_8xb128_in1k.py',
    'SPOS_SHUFFLENETV2_330M_IN1k_PAPER.yaml')


def test_subnet_config_reports_mmrazor_searched_subnet():
    """Spec: 3,353,592 params; MMRazor's estimator says 327,544,320 FLOPs."""
    result = _json(_get_flops(SUBNET_CONFIG, '--json'))
    assert result['params'] == 3_353_592
    assert abs(result['flops'] - 327_544_320) / 327_544_320 < 0.015
    # fvcore's split: conv + batch_norm + linear + pool (spec)
    assert result['flops'] == 314_995_520 + 8_529_920 + 1_024_000 + 50_176
    assert 'SPOS_SHUFFLENETV2_330M_IN1k_MMRAZOR.yaml' in result['model']
    # the official convention drops BN and pooling: conv + linear only
    conv_linear = _json(
        _get_flops(SUBNET_CONFIG, '--json', '--convention', 'conv_linear'))
    assert conv_linear['flops'] == 314_995_520 + 1_024_000


def test_subnet_config_with_paper_yaml():
    result = _json(_get_flops(SUBNET_CONFIG, '--subnet', PAPER_YAML, '--json'))
    assert result['params'] == 3_558_952
    assert abs(result['flops'] - 333_668_928) / 333_668_928 < 0.015
    assert 'PAPER' in result['model']


def test_anglenas_mobilenet_subnet_config():
    """Spec: 5,936,776 params; MMRazor's estimator says 490,136,480 FLOPs."""
    config = SUPERNET_CONFIG.replace(
        'spos_supernet_shufflenetv2_8xb128_in1k.py',
        'spos_subnet_mobilenet_proxyless_gpu_8xb128_in1k.py')
    result = _json(_get_flops(config, '--json'))
    assert result['params'] == 5_936_776
    assert abs(result['flops'] - 490_136_480) / 490_136_480 < 0.015
    assert result['flops'] == 484_334_880  # fvcore's total (spec)
    assert 'SPOS_MOBILENET_490M_FROM_ANGELNAS.yaml' in result['model']


def _darts_config(name):
    import os.path as osp
    repo = REPO
    return osp.join(repo, 'configs', 'nas', name)


@pytest.mark.parametrize('config,shape,total,excl_aux', [
    ('pcdarts/pcdarts_subnet_1xb96_cifar10.py', '32', 4_111_104, 3_634_678),
    ('darts/darts_subnet_1xb96_cifar10.py', '32', None, 3_349_342),
    ('pcdarts/pcdarts_subnet_8xb128_in1k.py', '224', 6_603_240, 5_342_464),
])
def test_darts_eval_configs_param_counts(config, shape, total, excl_aux):
    """Spec: the papers count every parameter but the auxiliary head's."""
    result = _json(
        _get_flops(_darts_config(config), '--shape', shape, shape, '--json'))
    assert result['params_excluding_aux'] == excl_aux
    if total is not None:
        assert result['params'] == total
    if shape == '224':  # fvcore's total for PC_DARTS_image (oracle)
        assert result['flops'] == 590_583_744


def test_every_subnet_form_that_fixed_subnet_reads(tmp_path):
    """get_flops --subnet and FixedSubnet fix a model the same one way: our
    form and MMRazor 0.x's give the same numbers, on a supernet config and
    on a subnet config."""
    import yaml
    from mmengine.config import Config

    from helpers.tools import load_module
    measure = load_module('tools/analysis_tools/get_flops.py').measure
    ours = yaml.safe_load(open(PAPER_YAML))
    legacy = {}
    for key, value in ours.items():
        stage, block = key.split('.')[-2:]
        legacy[f'stage_{stage}_block_{block}'] = {'chosen': [value['chosen']]}
    legacy_yaml = tmp_path / 'mmrazor_0x.yaml'
    legacy_yaml.write_text(yaml.safe_dump(legacy))
    results = [
        measure(Config.fromfile(config), (224, 224), subnet)
        for config in (SUPERNET_CONFIG, SUBNET_CONFIG)
        for subnet in (PAPER_YAML, str(legacy_yaml))
    ]
    for result in results:
        assert (result['params'], result['flops']) == \
            (results[0]['params'], results[0]['flops'])
    assert results[0]['params'] == 3_558_952
    with pytest.raises(ValueError, match='cannot map MMRazor 0.x entries'):
        legacy.pop('stage_0_block_0')
        legacy_yaml.write_text(yaml.safe_dump(legacy))
        measure(Config.fromfile(SUPERNET_CONFIG), (224, 224), str(legacy_yaml))


DEMO = SUPERNET_CONFIG.replace(
    'nas/spos/spos_supernet_shufflenetv2_8xb128_'
    'in1k.py', 'demo/spos_supernet_shufflenetv2_'
    'digits.py')


@pytest.fixture(scope='module')
def demo_latency(tmp_path_factory):
    """A latency table of the demo space (made-up, distinct entries: no
    timing needed to check what get_flops looks up), its file, the space's
    mutator and its largest path at 32 px."""
    from mmengine.config import Config

    from mmrazor_lite.estimators import LatencyTable, ResourceTable
    from helpers.tools import load_module
    tool = load_module('tools/analysis_tools/build_latency_table.py')
    net, mutator = tool.build_supernet(Config.fromfile(DEMO))
    entries = {
        key: {
            name: 1.0 + 0.5 * i + 0.25 * j
            for j, name in enumerate(names)
        }
        for i, (key, names) in enumerate(mutator.choices.items())
    }
    table = LatencyTable(
        entries,
        fixed_ms=2.0,
        scale=1.2,
        offset_ms=0.3,
        meta=dict(device='cpu', batch=1, input_shape=[3, 32, 32], threads=1))
    path = str(tmp_path_factory.mktemp('latency') / 'demo.json')
    table.save(path)
    largest = ResourceTable(net, mutator, (1, 3, 32, 32)).largest()
    return table, path, mutator, largest


def test_latency_table_gives_the_largest_paths_latency(demo_latency):
    table, path, _, largest = demo_latency
    result = _json(
        _get_flops(DEMO, '--shape', '32', '32', '--json', '--latency-table',
                   path))
    assert result['latency_ms'] == round(table.latency_of(largest), 3)
    assert result['latency_table'] == path
    assert 'batch 1' in result['latency_setting']
    proc = _get_flops(DEMO, '--shape', '32', '32', '--latency-table', path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (f'latency:     {table.latency_of(largest):.2f} ms (predicted '
            f'by {path}') in proc.stdout


def test_latency_of_a_subnet_yaml_and_a_subnet_config(demo_latency, tmp_path):
    table, path, mutator, largest = demo_latency
    cheapest = table.min_max().cheapest
    assert cheapest != largest
    yaml_path = tmp_path / 'cheap.yaml'
    yaml_path.write_text(''.join(f'{k}:\n  chosen: {v}\n'
                                 for k, v in cheapest.items()))
    expected = round(table.latency_of(cheapest), 3)
    result = _json(
        _get_flops(DEMO, '--shape', '32', '32', '--json', '--subnet',
                   str(yaml_path), '--latency-table', path))
    assert result['latency_ms'] == expected
    subnet_config = DEMO.replace('spos_supernet_shufflenetv2_digits',
                                 'spos_subnet_digits')
    result = _json(
        _get_flops(subnet_config, '--shape', '32', '32', '--json',
                   '--latency-table', path, '--cfg-options',
                   f'model.fix_subnet={yaml_path}'))
    assert result['latency_ms'] == expected


def test_latency_table_of_another_space_is_refused(demo_latency, tmp_path):
    _, path, _, _ = demo_latency
    mobilenet = DEMO.replace('shufflenetv2', 'mobilenet_proxyless_gpu')
    proc = _get_flops(mobilenet, '--shape', '32', '32', '--latency-table',
                      path)
    assert proc.returncode == 1
    assert f'error: latency table {path} does not match the search space ' \
        f'of {mobilenet}' in proc.stderr
    assert "'backbone.layer1.0'" in proc.stderr
    missing = str(tmp_path / 'none.json')
    proc = _get_flops(DEMO, '--shape', '32', '32', '--latency-table', missing)
    assert proc.returncode == 1
    assert f'latency table {missing} does not exist' in proc.stderr
