import io
import os
import re

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint, save_checkpoint

from mmrazor_lite.fileio.checkpoint_io import (CheckpointError,
                                               atomic_write_bytes,
                                               load_checkpoint_file)


def _mmengine_like_checkpoint():
    hub = MessageHub.get_instance('test_checkpoint_io')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', np.float64(1.25))
    hub.update_info('iter', 3)
    return dict(
        meta=dict(epoch=0, iter=3, seed=1, mmengine_version='0.10'),
        state_dict=dict(w=torch.ones(2)),
        message_hub=hub.state_dict(),
        optimizer=dict(state={}, param_groups=[dict(lr=0.1, params=[0])]))


def test_mmengine_checkpoint_loads_weights_only(tmp_path):
    path = str(tmp_path / 'iter_3.pth')
    save_checkpoint(_mmengine_like_checkpoint(), path)
    # a plain weights-only load works: only allow-listed types inside
    loaded = torch.load(path, weights_only=True)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(1.375)
    # and so does mmengine's loader (used by load_from / --resume)
    assert torch.equal(
        _load_checkpoint(path)['state_dict']['w'], torch.ones(2))
    assert 'builtins.getattr' not in \
        torch.serialization.get_unsafe_globals_in_checkpoint(path)


def test_truncated_checkpoint_error_names_the_file(tmp_path):
    path = str(tmp_path / 'broken.pth')
    save_checkpoint(_mmengine_like_checkpoint(), path)
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match='broken.pth.*truncated'):
        load_checkpoint_file(path)
    with pytest.raises(FileNotFoundError, match='nothere.pth'):
        load_checkpoint_file(str(tmp_path / 'nothere.pth'))


def test_unsafe_pickle_is_refused(tmp_path):
    path = str(tmp_path / 'evil.pth')

    class Evil:

        def __reduce__(self):
            return (os.system, ('echo pwned', ))

    torch.save({'x': Evil()}, path)
    with pytest.raises(CheckpointError, match='evil.pth.*allow-list'):
        load_checkpoint_file(path)


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    path = str(tmp_path / 'ckpt.pth')
    save_checkpoint({'v': torch.tensor(1)}, path)

    def crash(*args, **kwargs):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'fsync', crash)
    with pytest.raises(OSError, match='disk full'):
        save_checkpoint({'v': torch.tensor(2)}, path)
    monkeypatch.undo()
    assert load_checkpoint_file(path)['v'].item() == 1
    assert os.listdir(tmp_path) == ['ckpt.pth']  # no temp file left
    atomic_write_bytes(b'abc', str(tmp_path / 'sub' / 'f.bin'))
    assert (tmp_path / 'sub' / 'f.bin').read_bytes() == b'abc'


def test_non_checkpoint_file_is_called_corrupt(tmp_path):
    path = tmp_path / 'notes.pth'
    path.write_text('these are not weights')
    with pytest.raises(
            CheckpointError, match='notes.pth.*truncated or corrupt'):
        load_checkpoint_file(str(path))


def test_atomic_writes_get_ordinary_permissions(tmp_path):
    import os
    import stat

    from mmrazor_lite.fileio.checkpoint_io import atomic_write_text
    umask = os.umask(0o022)
    try:
        path = tmp_path / 'result.txt'
        atomic_write_text('x', str(path))
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    finally:
        os.umask(umask)


# ------------------------------------------- refused vs corrupt (issue 13.6)
from helpers.malicious_files import BROKEN, MALICIOUS  # noqa: E402


def _assert_our_wording(message: str) -> None:
    """One line, and never torch's advice to unpickle without limits."""
    assert '\n' not in message
    assert 'weights_only=False' not in message
    assert 'set to `False`' not in message
    assert 'add_safe_globals' not in message


@pytest.mark.parametrize('build', MALICIOUS, ids=lambda b: b.__name__)
def test_malicious_file_is_refused_naming_what(tmp_path, build):
    path, marker = tmp_path / 'evil.pth', tmp_path / 'pwned'
    name = build(str(path), marker)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint_file(str(path))
    message = str(info.value)
    assert re.search(
        r"'[^']*evil\.pth' refused: holds the globals? [^ ]*" +
        re.escape(name) + r'.* outside the allow-list of safe types',
        message), message
    assert 'truncated' not in message and 'corrupt' not in message
    _assert_our_wording(message)
    assert not marker.exists()  # nothing in it ran


def test_broken_files_are_still_truncated_or_corrupt(tmp_path):
    for build in BROKEN:  # a cut zip, a cut legacy file, random bytes
        path = tmp_path / f'{build.__name__}.pth'
        build(str(path))
        with pytest.raises(CheckpointError) as info:
            load_checkpoint_file(str(path))
        message = str(info.value)
        assert path.name in message and 'truncated or corrupt' in message
        assert 'refused' not in message
        _assert_our_wording(message)


def test_torch_advice_is_stripped_from_details():
    from mmrazor_lite.fileio.unsafe_pickle import torch_error_detail
    try:  # garbage makes torch word its error for a trusted file
        torch.load(io.BytesIO(b'\x00' * 16), weights_only=True)
    except Exception as err:  # noqa: BLE001
        assert 'weights_only' in str(err)  # torch's advice is there ...
        detail = torch_error_detail(err)
    assert 'Unsupported operand 0' in detail  # ... ours keeps the cause
    _assert_our_wording(detail)
    assert 'weights_only' not in detail
