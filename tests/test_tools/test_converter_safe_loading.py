"""The PC-DARTS converters read their input through the safe loader.

A hostile, missing or cut input file ends the command with a non-zero exit
and one line naming the file and the cause: no traceback, and never
torch's advice to retry with unrestricted unpickling.
"""
import sys

import pytest
import torch

from helpers.malicious_files import torch_zip_os_system, truncated_zip
from helpers.tools import load_module, run_tool, run_tool_in_process

# the converters import their sibling key table as a top-level module
load_module('tools/model_converters/darts_reference_keys.py')

EVAL = 'tools/model_converters/pcdarts_eval_to_mmrazor_lite.py'
SEARCH = 'tools/model_converters/pcdarts_search_to_mmrazor_lite.py'
CONVERTERS = {EVAL: ['--genotype', 'PC_DARTS_cifar'], SEARCH: []}


def _assert_one_line_error(proc, path, cause):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    errors = [line for line in lines if path in line]
    assert len(errors) == 1 and cause in errors[0], proc.stderr
    assert 'Traceback' not in proc.stderr, proc.stderr
    assert 'weights_only=False' not in proc.stderr
    assert 'set to `False`' not in proc.stderr


@pytest.mark.parametrize('tool', sorted(CONVERTERS))
def test_converter_command_refuses_malicious_file(tmp_path, tool):
    src, marker = str(tmp_path / 'ref.pt'), tmp_path / 'pwned'
    torch_zip_os_system(src, marker)
    dst = str(tmp_path / 'out.pth')
    proc = run_tool([sys.executable, tool, src, dst, *CONVERTERS[tool]])
    _assert_one_line_error(proc, src, 'refused: holds the global')
    assert not marker.exists() and not (tmp_path / 'out.pth').exists()


@pytest.mark.parametrize('tool', sorted(CONVERTERS))
def test_converter_missing_or_cut_file_is_one_line(tmp_path, tool):
    missing, cut = str(tmp_path / 'nothere.pt'), str(tmp_path / 'cut.pt')
    truncated_zip(cut)
    dst = str(tmp_path / 'out.pth')
    proc = run_tool_in_process(tool, [missing, dst, *CONVERTERS[tool]])
    _assert_one_line_error(proc, missing, 'does not exist')
    proc = run_tool_in_process(tool, [cut, dst, *CONVERTERS[tool]])
    _assert_one_line_error(proc, cut, 'truncated or corrupt')


def test_eval_converter_bad_genotype_is_one_line(tmp_path):
    src = str(tmp_path / 'ref.pt')
    torch.save({'cells.0.preprocess0.op.1.weight': torch.zeros(1)}, src)
    proc = run_tool_in_process(
        EVAL,
        [src, str(tmp_path / 'o.pth'), '--genotype', 'PC_DARTS_cifra'])
    _assert_one_line_error(proc, 'PC_DARTS_cifra', 'shipped name')
