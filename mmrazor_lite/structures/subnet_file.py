"""The subnet file: which candidate each mutable keeps.

Format (yaml or json), keyed by module path::

    backbone.layers.0.0:
      chosen: shuffle_7x7
    backbone.layers.0.1:
      chosen: shuffle_3x3

A one-element list (``chosen: [shuffle_7x7]``, as MMRazor writes) is read
too. Files are read strictly (UTF-8, no key twice) and written atomically.
"""
import json
from collections import OrderedDict
from typing import Dict, Mapping

import yaml

from mmrazor_lite.fileio.checkpoint_io import atomic_write_text
from mmrazor_lite.fileio.strict_data_file import DataFileError, load_data_file


class SubnetFileError(ValueError):
    """A subnet file is malformed; the message names the file and key."""


def chosen_name(path: str, key: str, value) -> str:
    """The name in ``{chosen: NAME}`` (or ``[NAME]``); errors name ``path``."""
    chosen = value.get('chosen') if isinstance(value, dict) else None
    if isinstance(chosen, (list, tuple)) and len(chosen) == 1:
        chosen = chosen[0]
    if not isinstance(chosen, str):
        raise SubnetFileError(
            f'{path}: entry {key!r} must look like "{{chosen: NAME}}", got '
            f'{value!r}')
    return chosen


def read_subnet_data(path: str) -> dict:
    """The parsed yaml/json mapping of a subnet file, whatever its form.

    Raises:
        FileNotFoundError: ``path`` is not a file.
        SubnetFileError: not UTF-8, not yaml/json, a key given twice or not
            a non-empty mapping; the message names the file.
    """
    try:
        data = load_data_file(path, 'subnet file')
    except DataFileError as err:
        raise SubnetFileError(str(err)) from err
    if not isinstance(data, dict) or not data:
        raise SubnetFileError(
            f'{path}: expected a mapping "module.path: {{chosen: NAME}}", '
            f'got {type(data).__name__}')
    return data


def parse_subnet_data(data: Mapping,
                      source: str,
                      plain_names: bool = False) -> 'OrderedDict[str, str]':
    """``module path -> name`` from ``{path: {chosen: NAME}}``.

    ``plain_names``: also accept ``{path: NAME}`` (mappings built in code).
    """
    return OrderedDict(
        (str(key), value if plain_names and isinstance(value, str) else
         chosen_name(source, key, value)) for key, value in data.items())


def load_subnet_file(path: str) -> 'OrderedDict[str, str]':
    """Read ``path`` into ``module path -> chosen candidate name``."""
    return parse_subnet_data(read_subnet_data(path), path)


def subnet_to_dict(choices: Mapping[str, str]) -> Dict[str, dict]:
    return {key: {'chosen': name} for key, name in choices.items()}


def dump_subnet_file(choices: Mapping[str, str], path: str) -> None:
    """Write ``choices`` (path -> name) atomically as yaml or json."""
    data = subnet_to_dict(choices)
    if path.endswith('.json'):
        text = json.dumps(data, indent=2)
    else:
        text = yaml.safe_dump(data, sort_keys=False)
    atomic_write_text(text, path)
