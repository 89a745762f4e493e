"""Why a weights-only load failed: refused content, or a broken file.

``torch.load(weights_only=True)`` stops at the first thing it will not do
and words its error for a trusted file (it suggests unrestricted
unpickling). For an untrusted file we want instead: *what* was refused,
or that the file is truncated / corrupt. The pickle streams of the file
(``data.pkl`` of a zip checkpoint; the leading pickles of a legacy or plain
pickle file) are disassembled with :mod:`pickletools`, which never runs
them, to name every global outside torch's allow-list.
"""
import io
import pickletools
import re
import zipfile
from typing import List, Optional, Set, Tuple

import torch

#: torch's wording of a refusal (its unpickler raises UnpicklingError).
_REFUSAL_PATTERNS = (r'GLOBAL \S+ was not an allowed global',
                     r'whose module \S+ is blocked',
                     r'call reduce for unrecognized function', r'Can only ',
                     r'must be imported to load', r'persistent_load')
#: torch's advice for trusted files, and its pointers to allow-listing.
_ADVICE = re.compile(
    r'weights_only|arbitrary code|trusted source|trust the source|'
    r'file an issue|Weights only load failed|two options|'
    r'recommended steps|Check the documentation|add_safe_globals|'
    r'safe_globals\(', re.IGNORECASE)
_LEGACY_STREAMS = 5  # magic, protocol, sys info, object, storage keys
_STRING_OPS = {
    'STRING', 'BINSTRING', 'SHORT_BINSTRING', 'UNICODE', 'BINUNICODE',
    'SHORT_BINUNICODE', 'BINUNICODE8'
}


def torch_error_detail(err: BaseException) -> str:
    """``err``'s message on one line, without torch's unsafe advice."""
    text = re.sub(r'\x1b\[[0-9;]*m', '', str(err))
    text = text.replace('WeightsUnpickler error:', '\n')
    sentences = re.split(r'(?<=[.:])\s+|\n', text)
    kept = [s for s in sentences if s.strip() and not _ADVICE.search(s)]
    detail = ' '.join(' '.join(kept).split())
    return detail or type(err).__name__


def _allowed_globals() -> Set[str]:
    """Names torch's weights-only unpickler resolves (defaults + ours)."""
    wo = getattr(torch, '_weights_only_unpickler', None)
    names: Set[str] = set()
    for getter in ('_get_allowed_globals', '_get_user_allowed_globals'):
        try:
            names |= set(getattr(wo, getter)())
        except Exception:  # noqa: BLE001  private API; fall back below
            pass
    if not names:  # a future torch: keep its own namespace out of reports
        names = {'collections.OrderedDict'}
        names |= {
            f'{g.__module__}.{g.__qualname__}'
            for g in torch.serialization.get_safe_globals()
            if not isinstance(g, tuple)
        }
    return names


def _scan(stream) -> Tuple[List[str], Set[str], bool]:
    """``(globals, opcode names, complete)`` of one pickle, never run."""
    found, ops, recent, memo = [], set(), [], {}
    try:
        for opcode, arg, _ in pickletools.genops(stream):
            name = opcode.name
            ops.add(name)
            if name in ('GLOBAL', 'INST'):
                found.append(str(arg).replace(' ', '.'))
            elif name == 'STACK_GLOBAL':
                module, attr = (
                    recent[-2:] if len(recent) >= 2 else (None, None))
                found.append(f'{module}.{attr}' if isinstance(module, str)
                             and isinstance(attr, str) else
                             'a global named at run time (STACK_GLOBAL)')
            if name in _STRING_OPS:
                recent.append(arg if isinstance(arg, str) else None)
            elif name == 'MEMOIZE':
                memo[len(memo)] = recent[-1] if recent else None
            elif name in ('PUT', 'BINPUT', 'LONG_BINPUT'):
                memo[arg] = recent[-1] if recent else None
            elif name in ('GET', 'BINGET', 'LONG_BINGET'):
                recent.append(memo.get(arg))
            elif name not in ('FRAME', 'PROTO', 'MARK'):
                recent.append(None)
            if name == 'STOP':
                return found, ops, True
    except Exception:  # noqa: BLE001  a broken stream: what came before
        pass
    return found, ops, False


def _scan_file(filename: str) -> List[Tuple[List[str], Set[str], bool]]:
    """Scans of the pickle streams torch would read from ``filename``."""
    if zipfile.is_zipfile(filename):
        try:
            with zipfile.ZipFile(filename) as archive:
                return [
                    _scan(io.BytesIO(archive.read(name)))
                    for name in archive.namelist()
                    if name == 'data.pkl' or name.endswith('/data.pkl')
                ]
        except Exception:  # noqa: BLE001  a broken archive: nothing to name
            return []
    scans = []
    with open(filename, 'rb') as f:
        for _ in range(_LEGACY_STREAMS):
            scans.append(_scan(f))
            if not scans[-1][2]:
                break
    return scans


def describe_refusal(filename: str, err: BaseException) -> Optional[str]:
    """What in ``filename`` a weights-only load refused; None if broken.

    Refused: a complete pickle stream holds globals outside the allow-list
    (all are named), or torch's error is a refusal, or torch stopped at an
    instruction it never runs in a pickle that is otherwise well formed.
    Anything else (a cut or garbled file) is not a refusal.
    """
    scans = _scan_file(filename)
    allowed = _allowed_globals()
    unsafe = []
    for found, _, complete in scans:
        unsafe += [
            g for g in found
            if complete and g not in allowed and g not in unsafe
        ]
    if unsafe:
        noun = 'the global' if len(unsafe) == 1 else 'the globals'
        return f'{noun} {", ".join(unsafe)}'
    detail = torch_error_detail(err)
    if any(re.search(p, detail) for p in _REFUSAL_PATTERNS):
        match = re.search(r'GLOBAL (\S+)', detail)
        return (f'the global {match.group(1)}' if match else
                f'content the safe loader will not build ({detail})')
    match = re.search(r'Unsupported operand (\d+)', detail)
    if match:
        code = int(match.group(1))
        op = pickletools.code2op.get(chr(code)) if code < 256 else None
        if op is not None and any(complete and op.name in ops
                                  for _, ops, complete in scans):
            return f'the pickle instruction {op.name} (opcode {code})'
    return None
