"""Which checkpoint ``--resume`` (no path) continues from.

mmengine resumes from whatever ``WORK_DIR/last_checkpoint`` names and fails
when that file is empty or names a checkpoint that is missing or cut short
(a run killed mid-save, a disk that filled up). Here ``last_checkpoint`` is
trusted only when it names a complete checkpoint; otherwise the newest
complete ``epoch_N.pth`` / ``iter_N.pth`` beside it is used, with a warning
that says what was wrong and what is used instead. The warning is logged
before the run's log file exists (the Runner creates it); a caller that
collects it (``notes``) can have it written there later, as
``build_config`` does (``engine/hooks/deferred_log_hook.py``).
"""
import logging
import os
import os.path as osp
import re
import zipfile
from typing import List, Optional, Tuple

from mmengine.logging import print_log

#: the names mmengine's CheckpointHook gives (its default filename_tmpl)
_NUMBERED = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole ``torch.save`` zip archive.

    Cheap: reads the zip's central directory (at the end of the file), not
    the tensors. A file cut short has no directory, or one whose entries
    reach past the end of the file.
    """
    if not osp.isfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    size = osp.getsize(path)
    # torch writes ARCHIVE/data.pkl (the pickled structure) in every save
    return any(e.filename.endswith('/data.pkl') for e in entries) and all(
        e.header_offset + e.compress_size <= size for e in entries)


def _numbered_checkpoints(directory: str) -> List[Tuple[int, str]]:
    """``(number, path)`` of every ``epoch_N.pth`` / ``iter_N.pth``."""
    found = []
    if osp.isdir(directory):
        for name in os.listdir(directory):
            match = _NUMBERED.match(name)
            if match:
                found.append((int(match.group(2)), osp.join(directory, name)))
    return found


def _read_last_checkpoint(work_dir: str) -> Tuple[Optional[str], str]:
    """``(named path or None, what is wrong with it or '')``."""
    save_file = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(save_file):
        return None, f'{save_file} does not exist'
    try:
        with open(save_file, encoding='utf-8') as f:
            named = f.read().strip()
    except (OSError, UnicodeDecodeError) as err:
        return None, f'{save_file} cannot be read ({err})'
    if not named:
        return None, f'{save_file} is empty'
    if not osp.isfile(named):
        return named, f'{save_file} names {named}, which does not exist'
    if not is_complete_checkpoint(named):
        return named, (f'{save_file} names {named}, which is not a complete '
                       f'checkpoint (cut short or not a torch.save zip)')
    return named, ''


def find_resumable_checkpoint(
        work_dir: str,
        notes: Optional[List[Tuple[int, str]]] = None) -> Optional[str]:
    """The checkpoint to resume a run in ``work_dir`` from, or None.

    ``last_checkpoint``'s file when it is complete; else the newest complete
    numbered checkpoint in the work dir (and in the folder
    ``last_checkpoint`` points to, for a hook with ``out_dir``), ordered by
    its number; else None: nothing to resume, the run starts afresh. Every
    fallback is logged as a warning (``logger='current'``).

    Args:
        work_dir (str): The run's work dir.
        notes (list, optional): If given, each message logged is also
            appended to it as ``(logging level, text)``, for the run's log
            file, which does not exist yet. Defaults to None.

    Returns:
        str, optional: The checkpoint to resume from, or None.
    """

    def log(message: str, level: int = logging.INFO) -> None:
        print_log(message, logger='current', level=level)
        if notes is not None:
            notes.append((level, message))

    named, problem = _read_last_checkpoint(work_dir)
    if not problem:
        return named
    folders = {osp.abspath(work_dir)}
    if named:
        folders.add(osp.dirname(osp.abspath(named)))
    candidates = sorted(
        (c for folder in folders for c in _numbered_checkpoints(folder)),
        key=lambda c: (c[0], osp.getmtime(c[1])),
        reverse=True)
    skipped = []
    for _, path in candidates:
        if is_complete_checkpoint(path):
            note = (f'; skipped incomplete {", ".join(skipped)}'
                    if skipped else '')
            log(
                f'--resume: {problem}; resuming from the newest complete '
                f'checkpoint {path} instead{note}.', logging.WARNING)
            return path
        skipped.append(path)
    if candidates or osp.exists(osp.join(work_dir, 'last_checkpoint')):
        # something was there to resume, and none of it can be: say so
        note = (f' (incomplete: {", ".join(skipped)})' if skipped else '')
        log(
            f'--resume: {problem}, and {work_dir} holds no complete '
            f'epoch_N.pth / iter_N.pth{note}: the run starts afresh.',
            logging.WARNING)
    else:
        log(f'--resume: no checkpoint in {work_dir} yet: the run starts '
            f'afresh.')
    return None
