"""The demo's wiring (a few iterations; the full run is `python tools/demo.py`)."""
import re

from conftest import run_tool


def test_demo_runs_end_to_end(tmp_path):
    proc = run_tool(['python', 'tools/demo.py', '--work-dir', str(tmp_path),
                     '--iters', '10', '--paths', '2'], timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = re.findall(r'\[demo\] path \d: test top-1 ([\d.]+) %',
                       proc.stdout)
    assert len(lines) == 2
    assert all(0.0 <= float(v) <= 100.0 for v in lines)
    assert 'mean test top-1 over 2 random paths' in proc.stdout
    assert (tmp_path / 'iter_10.pth').is_file()
