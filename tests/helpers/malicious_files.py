"""Hostile and broken checkpoint files, for the safe loader's tests.

Each malicious builder writes a file that, unpickled without restriction,
would run ``touch MARKER``; a test asserts the marker never appears. The
value is the global the refusal must name.
"""
import builtins
import io
import os
import pickle
import zipfile

import torch


class _RunsShell:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class _RunsEval:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (builtins.eval, (f'open({str(self.marker)!r}, "w").close()', ))


def torch_zip_os_system(path, marker):
    torch.save({'w': torch.ones(2), 'x': _RunsShell(marker)}, path)
    return 'system'  # posix.system / nt.system


def torch_zip_eval(path, marker):
    torch.save({'x': _RunsEval(marker)}, path)
    return 'eval'


def legacy_torch_file(path, marker):
    """The pre-1.6 non-zip format: several pickles, then raw storages."""
    torch.save({
        'w': torch.ones(2),
        'x': _RunsShell(marker)
    },
               path,
               _use_new_zipfile_serialization=False)
    return 'system'


def plain_pickle_protocol5(path, marker):
    """What ``pickle.dump`` writes by default: frames, STACK_GLOBAL."""
    with open(path, 'wb') as f:
        pickle.dump({'x': _RunsShell(marker)}, f, protocol=5)
    return 'system'


def global_to_arbitrary_module(path, marker):
    """Hand-written protocol 0: GLOBAL subprocess.Popen, then a call."""
    with open(path, 'wb') as f:
        f.write(b'csubprocess\nPopen\n((S"touch"\nS"' + str(marker).encode() +
                b'"\nltR.')
    return 'subprocess.Popen'


def inst_opcode(path, marker):
    """Protocol 0 INST (module and class in the instruction itself)."""
    with open(path, 'wb') as f:
        f.write(b'(S"touch ' + str(marker).encode() + b'"\nios\nsystem\n.')
    return 'os.system'


def pickle_inside_torch_zip(path, marker):
    """A genuine torch zip whose data.pkl was swapped for a hostile one."""
    buffer = io.BytesIO()
    torch.save({'w': torch.ones(2)}, buffer)
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, 'w') as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith('/data.pkl'):
                data = pickle.dumps({'x': _RunsEval(marker)}, protocol=2)
            dst.writestr(info, data)
    return 'eval'


MALICIOUS = [
    torch_zip_os_system, torch_zip_eval, legacy_torch_file,
    plain_pickle_protocol5, global_to_arbitrary_module, inst_opcode,
    pickle_inside_torch_zip
]


def truncated_zip(path):
    buffer = io.BytesIO()
    torch.save({'w': torch.ones(100)}, buffer)
    with open(path, 'wb') as f:
        f.write(buffer.getvalue()[:len(buffer.getvalue()) // 2])


def truncated_legacy(path):
    buffer = io.BytesIO()
    torch.save({'w': torch.ones(100)},
               buffer,
               _use_new_zipfile_serialization=False)
    with open(path, 'wb') as f:
        f.write(buffer.getvalue()[:-50])  # the pickles whole, storage cut


def garbage(path):
    with open(path, 'wb') as f:
        f.write(bytes(range(256)) * 4)


BROKEN = [truncated_zip, truncated_legacy, garbage]
