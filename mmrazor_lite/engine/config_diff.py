"""Differences between two config-like trees, by dotted key.

Used to tell a user which keys of a saved run (a search state, a
checkpoint's config) differ from the config now, saved vs now.
"""
import re
from collections.abc import Mapping
from typing import List, Tuple


class Verbatim(str):
    """Text shown as it is in a difference, not quoted as a value."""

    def __repr__(self) -> str:
        return str(self)


#: stands for a key one side does not have
ABSENT = Verbatim('<absent>')


def plain(value):
    """``value`` as dicts, lists, numbers and strings only.

    Tuples become lists (a config file and its dump agree then), a class or
    function its dotted name, anything else its ``repr`` without memory
    addresses, so that a value compares equal to itself after a round trip
    through a file.
    """
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, '__qualname__'):
        return f'{value.__module__}.{value.__qualname__}'
    return re.sub(r' at 0x[0-9a-fA-F]+', '', repr(value))


def flatten(value, prefix: str = '') -> dict:
    """``{'a': {'b': 1}}`` -> ``{'a.b': 1}``; lists stay whole values."""
    if not isinstance(value, Mapping) or not value:
        return {prefix: value}
    flat = {}
    for key, sub in value.items():
        flat.update(flatten(sub, f'{prefix}.{key}' if prefix else str(key)))
    return flat


def differences(saved, now) -> List[Tuple[str, object, object]]:
    """``(dotted key, saved value, value now)`` for each key that differs,
    sorted by key; a key only one side has shows :data:`ABSENT` on the
    other."""
    saved, now = flatten(plain(saved)), flatten(plain(now))
    found = []
    for key in sorted(set(saved) | set(now)):
        a, b = saved.get(key, ABSENT), now.get(key, ABSENT)
        if a != b:
            found.append((key, a, b))
    return found


def short(value, limit: int = 120) -> str:
    """``repr(value)`` cut to ``limit`` characters (a dataset config...)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def describe(found: List[Tuple[str, object, object]]) -> str:
    """One line ``  key: saved A, now B`` per difference."""
    return '\n'.join(f'  {key}: saved {short(a)}, now {short(b)}'
                     for key, a, b in found)
