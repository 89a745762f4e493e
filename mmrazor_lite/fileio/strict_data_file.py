"""Strict reading of the small yaml / json files users edit by hand.

Subnet and genotype files are short and often written by hand, so a slip
must not change their meaning silently. :func:`load_data_file` therefore

- decodes the bytes as UTF-8 and names the file, byte offset and line of
  the first byte that is not;
- refuses a key given twice in one mapping (yaml and json alike keep the
  last value without a word), naming both lines in yaml;
- reads yaml with the safe loader only (no python objects).

Every error is a :class:`DataFileError` (a ``ValueError``) naming the file.
"""
import json
import os.path as osp
from typing import Any

import yaml


class DataFileError(ValueError):
    """A yaml / json file cannot be read as data; the message names it."""


class _DuplicateKey(Exception):

    def __init__(self, key, line: int, first_line: int):
        super().__init__(key, line, first_line)
        self.key, self.line, self.first_line = key, line, first_line


class _StrictSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first_lines = {}
            for key_node, _ in node.value:
                if key_node.tag == 'tag:yaml.org,2002:merge':
                    continue  # '<<' merges may override on purpose
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = key in first_lines
                except TypeError:  # unhashable: the base class explains
                    continue
                line = key_node.start_mark.line + 1
                if seen:
                    raise _DuplicateKey(key, line, first_lines[key])
                first_lines[key] = line
        return super().construct_mapping(node, deep=deep)


def _refuse_duplicate_pairs(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key, 0, 0)
        out[key] = value
    return out


def read_utf8_text(path: str, what: str = 'file') -> str:
    """The text of ``path``; a byte that is not UTF-8 is named precisely."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} {path!r} does not exist')
    with open(path, 'rb') as f:
        data = f.read()
    try:
        return data.decode('utf-8-sig')
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b'\n') + 1
        raise DataFileError(
            f'{path}: not UTF-8 text: byte 0x{data[err.start]:02x} at '
            f'offset {err.start} (line {line}) cannot be decoded ('
            f'{err.reason}); save the {what} as UTF-8') from None


def load_data_file(path: str, what: str = 'file') -> Any:
    """Parse ``path`` as json (``.json``) or yaml (anything else), strictly.

    ``what`` names the kind of file in messages (``'subnet file'``).

    Raises:
        FileNotFoundError: ``path`` is not a file.
        DataFileError: not UTF-8, not valid yaml / json, or a duplicate key.
    """
    text = read_utf8_text(path, what)
    is_json = path.lower().endswith('.json')
    try:
        if is_json:
            return json.loads(text, object_pairs_hook=_refuse_duplicate_pairs)
        return yaml.load(text, Loader=_StrictSafeLoader)
    except _DuplicateKey as dup:
        where = (f'on line {dup.line} (first on line {dup.first_line})'
                 if dup.line else 'twice in one object')
        raise DataFileError(
            f'{path}: key {dup.key!r} is given {where}; a {what} names each '
            f'key once (the later value would silently win): remove one'
        ) from None
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        kind = 'json' if is_json else 'yaml'
        detail = ' '.join(str(err).split())
        raise DataFileError(f'{path}: not valid {kind}: {detail}') from err
