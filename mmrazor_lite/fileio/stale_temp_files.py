"""Remove the temporary files that killed atomic writes leave behind.

``atomic_write_bytes`` writes ``DIR/.NAME.XXXXXXXX.tmp`` (``mkstemp`` with
prefix ``.NAME.`` and suffix ``.tmp``) and renames it over ``DIR/NAME``; a
process killed before the rename leaves the temporary file, as large as the
checkpoint it was writing. A run sweeps them from its work dir at start,
before anything of its own is written there. Only that exact pattern is
touched.
"""
import os
import os.path as osp
import re
from typing import List

# mkstemp's random part: 8 characters of [a-z0-9_]
_STALE_TMP = re.compile(r'^\..+\.[a-z0-9_]{8}\.tmp$')


def is_stale_temp_name(name: str) -> bool:
    """Whether ``name`` has the form of an atomic write's temporary file."""
    return bool(_STALE_TMP.match(name))


def sweep_stale_temp_files(directory: str) -> List[str]:
    """Delete ``directory``'s (not its subfolders') stale temporary files.

    Call it only where no atomic write into ``directory`` can be under way
    (on the main process, before the run starts). Returns the removed paths.
    """
    removed = []
    if not osp.isdir(directory):
        return removed
    for name in sorted(os.listdir(directory)):
        path = osp.join(directory, name)
        if is_stale_temp_name(name) and osp.isfile(path) and \
                not osp.islink(path):
            try:
                os.remove(path)
            except FileNotFoundError:  # gone meanwhile: nothing to sweep
                continue
            removed.append(path)
    return removed
