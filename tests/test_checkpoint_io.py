import os

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
    assert torch.equal(_load_checkpoint(path)['state_dict']['w'],
                       torch.ones(2))
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
            return (os.system, ('echo pwned',))

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
    with pytest.raises(CheckpointError, match='notes.pth.*truncated or corrupt'):
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
