"""The DARTS genotype: the searched normal and reduction cells.

A genotype lists, node by node, the two kept input edges of each cell type
as ``(op name, input state index)`` pairs (states 0 and 1 are the cell
inputs, state ``2 + i`` is node ``i``), strongest edge of a node first, plus
the states concatenated into the cell output. It is saved as plain
yaml/json::

    normal: [[sep_conv_3x3, 1], [skip_connect, 0], ...]   # 2 per node
    normal_concat: [2, 3, 4, 5]
    reduce: [...]
    reduce_concat: [2, 3, 4, 5]
"""
import json
import numbers
import os.path as osp
from typing import Dict, List, Mapping, NamedTuple, Sequence, Tuple

import yaml

from mmrazor_lite.fileio.checkpoint_io import atomic_write_text
from mmrazor_lite.fileio.strict_data_file import load_data_file
from mmrazor_lite.ops.darts_ops import DARTS_PRIMITIVES

_KEYS = ('normal', 'normal_concat', 'reduce', 'reduce_concat')


class Genotype(NamedTuple):
    """``(normal, normal_concat, reduce, reduce_concat)`` of a DARTS cell."""

    normal: List[Tuple[str, int]]
    normal_concat: List[int]
    reduce: List[Tuple[str, int]]
    reduce_concat: List[int]

    @property
    def steps(self) -> int:
        """Number of intermediate nodes (two pairs each)."""
        return len(self.normal) // 2

    def to_dict(self) -> dict:
        """Plain lists only, ready for yaml/json."""
        return dict(
            normal=[[op, int(i)] for op, i in self.normal],
            normal_concat=[int(i) for i in self.normal_concat],
            reduce=[[op, int(i)] for op, i in self.reduce],
            reduce_concat=[int(i) for i in self.reduce_concat])

    @classmethod
    def from_dict(cls,
                  data: Mapping,
                  primitives: Sequence[str] = DARTS_PRIMITIVES,
                  source: str = 'genotype') -> 'Genotype':
        """Build and validate; ``source`` names the origin in errors.

        A ``repr`` entry (the reference's string form) is ignored.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f'{source}: a genotype is a mapping with keys '
                             f'{list(_KEYS)}, got {type(data).__name__}')
        unknown = set(data) - set(_KEYS) - {'repr'}
        missing = set(_KEYS) - set(data)
        if unknown or missing:
            raise KeyError(f'{source}: a genotype has keys {list(_KEYS)}; '
                           f'missing {sorted(missing)}, unknown '
                           f'{sorted(unknown)}')
        for key in _KEYS:  # lists only: a str or dict would be read as one
            if not isinstance(data[key], (list, tuple)):
                raise ValueError(f'{source}: {key} must be a list, got '
                                 f'{type(data[key]).__name__} '
                                 f'{data[key]!r}')
        genotype = cls(
            normal=[
                _pair(source, 'normal', n, p)
                for n, p in enumerate(data['normal'])
            ],
            normal_concat=list(data['normal_concat']),
            reduce=[
                _pair(source, 'reduce', n, p)
                for n, p in enumerate(data['reduce'])
            ],
            reduce_concat=list(data['reduce_concat']))
        genotype.validate(primitives, source)
        return genotype._replace(  # validated: plain ints from here on
            normal_concat=[int(i) for i in genotype.normal_concat],
            reduce_concat=[int(i) for i in genotype.reduce_concat])

    def validate(self,
                 primitives: Sequence[str] = DARTS_PRIMITIVES,
                 source: str = 'genotype') -> None:
        """Raise if an entry is malformed, invalid or builds a dead node.

        Each entry is ``[op, input]`` with a non-``none`` primitive and an
        integer input state that exists before its node; concat names
        distinct existing states; every node feeds the output (it is in the
        concat or read by a later node), else its ops would be built and
        trained for nothing.
        """
        valid_ops = [p for p in primitives if p != 'none']
        for cell in ('normal', 'reduce'):
            pairs = getattr(self, cell)
            if not pairs or len(pairs) % 2:
                raise ValueError(f'{source}: {cell} needs two [op, input] '
                                 f'entries per node, got {len(pairs)} '
                                 f'entries')
            for n, pair in enumerate(pairs):
                op, inp = _pair(source, cell, n, pair)
                node = n // 2
                if op not in valid_ops:
                    raise ValueError(f'{source}: {cell}[{n}] op {op!r} is not '
                                     f'one of {valid_ops}')
                if not 0 <= inp < node + 2:
                    raise ValueError(
                        f'{source}: {cell}[{n}] (node {node}) reads state '
                        f'{inp}; valid inputs are 0..{node + 1}')
            _check_concat(source, cell, pairs, getattr(self, f'{cell}_concat'))


def _is_index(value) -> bool:
    # bool is an int to Python, and 1.7 or '1' must not become 1
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _pair(source: str, cell: str, n: int, pair) -> Tuple[str, int]:
    """Entry ``n`` of ``cell`` as ``(op, input)``; errors say what is ok."""
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise ValueError(f'{source}: {cell}[{n}] (node {n // 2}) must be '
                         f'[op, input state index], got {pair!r}')
    op, inp = pair
    if not isinstance(op, str) or not _is_index(inp):
        raise ValueError(
            f'{source}: {cell}[{n}] (node {n // 2}) must be [op name, '
            f'integer input state index], got {list(pair)!r} (op '
            f'{type(op).__name__}, index {type(inp).__name__})')
    return op, int(inp)


def _check_concat(source: str, cell: str, pairs, concat) -> None:
    """Concat: distinct integer states; no node left feeding nothing."""
    key = f'{cell}_concat'
    num_states = len(pairs) // 2 + 2
    bad = [i for i in concat if not _is_index(i)]
    if bad or not concat or any(not 0 <= i < num_states for i in concat):
        raise ValueError(f'{source}: {key} {list(concat)} must be a '
                         f'non-empty list of integer states in '
                         f'0..{num_states - 1}')
    if len(set(concat)) != len(concat):
        raise ValueError(f'{source}: {key} {list(concat)} names a state '
                         f'twice; each state is concatenated once')
    read = {int(inp) for _, inp in pairs}
    dead = [
        s for s in range(2, num_states) if s not in concat and s not in read
    ]
    if dead:
        raise ValueError(
            f'{source}: {cell} node(s) {[s - 2 for s in dead]} (state(s) '
            f'{dead}) feed nothing: neither in {key} {list(concat)} nor '
            f'read by a later node; add them to {key} or rewire the '
            f'entries')


def dump_genotype(genotype: Genotype, path: str) -> None:
    """Write ``genotype`` to ``path`` (``.yaml``, ``.yml`` or ``.json``)."""
    data = genotype.to_dict()
    ext = osp.splitext(path)[1].lower()
    if ext in ('.yaml', '.yml'):
        text = yaml.safe_dump(data, default_flow_style=None, sort_keys=False)
    elif ext == '.json':
        text = json.dumps(data, indent=2)
    else:
        raise ValueError(f'{path}: a genotype file ends in .yaml, .yml '
                         f'or .json, got {ext!r}')
    # written whole or not at all: a search may be killed mid-write
    atomic_write_text(text, path)


def load_genotype(path: str,
                  primitives: Sequence[str] = DARTS_PRIMITIVES) -> Genotype:
    """Read and validate a genotype written by :func:`dump_genotype`.

    Read strictly (UTF-8, no key twice); errors name ``path``, the cell and
    the entry.
    """
    ext = osp.splitext(path)[1].lower()
    if ext not in ('.yaml', '.yml', '.json'):
        raise ValueError(f'{path}: a genotype file ends in .yaml, .yml '
                         f'or .json, got {ext!r}')
    data = load_data_file(path, 'genotype file')
    if not isinstance(data, Mapping):
        raise ValueError(f'{path}: expected a mapping with keys '
                         f'{list(_KEYS)}, got {type(data).__name__}')
    return Genotype.from_dict(data, primitives, source=path)


def _named(normal, reduce) -> Genotype:
    return Genotype([tuple(p) for p in normal], [2, 3, 4, 5],
                    [tuple(p) for p in reduce], [2, 3, 4, 5])


#: Published cells (pairs two per node, node 0 first).
GENOTYPES: Dict[str, Genotype] = dict(
    PC_DARTS_cifar=_named([('sep_conv_3x3', 1), ('skip_connect', 0),
                           ('sep_conv_3x3', 0), ('dil_conv_3x3', 1),
                           ('sep_conv_5x5', 0), ('sep_conv_3x3', 1),
                           ('avg_pool_3x3', 0), ('dil_conv_3x3', 1)],
                          [('sep_conv_5x5', 1), ('max_pool_3x3', 0),
                           ('sep_conv_5x5', 1), ('sep_conv_5x5', 2),
                           ('sep_conv_3x3', 0), ('sep_conv_3x3', 3),
                           ('sep_conv_3x3', 1), ('sep_conv_3x3', 2)]),
    PC_DARTS_image=_named([('skip_connect', 1), ('sep_conv_3x3', 0),
                           ('sep_conv_3x3', 0), ('skip_connect', 1),
                           ('sep_conv_3x3', 1), ('sep_conv_3x3', 3),
                           ('sep_conv_3x3', 1), ('dil_conv_5x5', 4)],
                          [('sep_conv_3x3', 0), ('skip_connect', 1),
                           ('dil_conv_5x5', 2), ('max_pool_3x3', 1),
                           ('sep_conv_3x3', 2), ('sep_conv_3x3', 1),
                           ('sep_conv_5x5', 0), ('sep_conv_3x3', 3)]),
    DARTS_V1=_named([('sep_conv_3x3', 1), ('sep_conv_3x3', 0),
                     ('skip_connect', 0), ('sep_conv_3x3', 1),
                     ('skip_connect', 0), ('sep_conv_3x3', 1),
                     ('sep_conv_3x3', 0), ('skip_connect', 2)],
                    [('max_pool_3x3', 0), ('max_pool_3x3', 1),
                     ('skip_connect', 2), ('max_pool_3x3', 0),
                     ('max_pool_3x3', 0), ('skip_connect', 2),
                     ('skip_connect', 2), ('avg_pool_3x3', 0)]),
    DARTS_V2=_named([('sep_conv_3x3', 0), ('sep_conv_3x3', 1),
                     ('sep_conv_3x3', 0), ('sep_conv_3x3', 1),
                     ('sep_conv_3x3', 1), ('skip_connect', 0),
                     ('skip_connect', 0), ('dil_conv_3x3', 2)],
                    [('max_pool_3x3', 0), ('max_pool_3x3', 1),
                     ('skip_connect', 2), ('max_pool_3x3', 1),
                     ('max_pool_3x3', 0), ('skip_connect', 2),
                     ('skip_connect', 2), ('max_pool_3x3', 1)]),
)
