import json

from conftest import SUPERNET_CONFIG, run_tool

PAPER = (2, 1, 0, 1, 2, 0, 2, 0, 2, 0, 2, 3, 0, 0, 0, 0, 3, 2, 3, 3)
NAMES = ['shuffle_3x3', 'shuffle_5x5', 'shuffle_7x7', 'shuffle_xception']


def _json(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0])


def test_supernet_json_reports_the_largest_path():
    result = _json(run_tool(['python', 'tools/analysis_tools/get_flops.py',
                             SUPERNET_CONFIG, '--json'], timeout=300))
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
    result = _json(run_tool(['python', 'tools/analysis_tools/get_flops.py',
                             SUPERNET_CONFIG, '--subnet', str(yaml_path),
                             '--json'], timeout=300))
    assert result['params'] == 3_558_952
    assert result['flops'] == 330_614_464
    proc = run_tool(['python', 'tools/analysis_tools/get_flops.py',
                     SUPERNET_CONFIG, '--subnet', str(yaml_path),
                     '--convention', 'conv_linear'], timeout=300)
    assert 'params:      3,558,952' in proc.stdout
    assert 'conv and linear layers only' in proc.stdout
