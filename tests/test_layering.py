"""The package's layers import downwards only (docs/architecture.md).

Every import of ``mmrazor_lite`` inside the package is read from the source
(ast, function bodies included) and checked against :data:`LAYERS`, the
one place the order is written besides the architecture page. A module may
import its own unit and any unit of a lower layer; units of one layer do
not import each other; imports of our own modules are top-level ones, so
that no cycle hides inside a function.
"""
import ast
import os
import os.path as osp
from typing import Iterator, List, Optional, Tuple

from helpers.paths import REPO

PACKAGE = 'mmrazor_lite'

#: lowest first; '' is the package's own ``__init__``
LAYERS = [
    ('version', 'registry'),
    ('fileio', ),
    ('ops', 'datasets', 'estimators'),
    ('structures', ),
    ('mutables', ),
    ('mutators', ),
    ('spaces', 'subnet', 'algorithms', 'deploy'),
    ('engine.distributed', 'engine.config_diff'),
    ('engine.search', ),
    ('engine.hooks', 'engine.optimizers'),
    ('engine.runner', ),
    ('engine', ),
    ('apis', ''),
]
LEVEL = {unit: i for i, units in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str:
    """The unit of a dotted module name: its longest prefix in LAYERS."""
    parts = module.split('.')[1:]  # without 'mmrazor_lite'
    for n in range(len(parts), -1, -1):
        name = '.'.join(parts[:n])
        if name in LEVEL:
            return name
    raise KeyError(f'{module} belongs to no unit of LAYERS in '
                   f'tests/test_layering.py; add its package there and to '
                   f'docs/architecture.md')


def module_name(root: str, path: str) -> Tuple[str, bool]:
    """``(dotted name, is a package __init__)`` of a file under ``root``."""
    rel = osp.relpath(path, root)[:-len('.py')].split(os.sep)
    is_init = rel[-1] == '__init__'
    if is_init:
        rel = rel[:-1]
    return '.'.join(rel), is_init


def imports_of(tree: ast.Module, module: str,
               is_init: bool) -> Iterator[Tuple[int, str, bool]]:
    """``(line, imported module, at top level)`` for our own imports."""
    package = module if is_init else module.rpartition('.')[0]
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')[:len(package.split('.')) -
                                          node.level + 1]
                source = '.'.join(base +
                                  ([node.module] if node.module else []))
            else:
                source = node.module or ''
            # ``from . import ops``: a name may be a unit of its own
            names = [_deepest(source, alias.name) for alias in node.names]
        else:
            continue
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + '.'):
                yield node.lineno, name, id(node) in top


def _dotted(unit: str) -> str:
    return f'{PACKAGE}.{unit}' if unit else PACKAGE


def _deepest(source: str, name: str) -> str:
    """``source.name`` where that is a unit other than ``source``'s (a
    subpackage imported by name), else ``source``."""
    inner, outer = _known(f'{source}.{name}'), _known(source)
    return f'{source}.{name}' if inner != outer else source


def _known(module: str) -> Optional[str]:
    try:
        return unit_of(module)
    except KeyError:
        return None


def layering_violations(root: str) -> List[str]:
    """Every import under ``root`` (a ``mmrazor_lite`` folder) that breaks
    the layers, as ``file:line: what``."""
    found = []
    parent = osp.dirname(root)
    for folder, _, files in os.walk(root):
        for file in sorted(files):
            if not file.endswith('.py'):
                continue
            path = osp.join(folder, file)
            module, is_init = module_name(parent, path)
            with open(path, encoding='utf-8') as f:
                tree = ast.parse(f.read(), path)
            unit = unit_of(module)
            where = osp.relpath(path, parent)
            seen = set()
            for line, name, at_top in imports_of(tree, module, is_init):
                target = _known(name)
                if target is None:  # ``from x import a_function``
                    continue
                if (line, target) in seen:
                    continue
                seen.add((line, target))
                if not at_top:
                    found.append(f'{where}:{line}: imports {_dotted(target)} '
                                 f'inside a function; make it a top-level '
                                 f'import')
                if target == unit:
                    continue
                what = f'{where}:{line}: {unit or PACKAGE} imports ' \
                    f'{_dotted(target)}'
                if LEVEL[target] > LEVEL[unit]:
                    found.append(f'{what}, a layer above it')
                elif LEVEL[target] == LEVEL[unit]:
                    found.append(f'{what}, of its own layer')
    return found


def test_the_package_imports_downwards_only():
    assert layering_violations(osp.join(REPO, PACKAGE)) == []


def test_every_subpackage_has_a_layer():
    root = osp.join(REPO, PACKAGE)
    for folder, _, files in os.walk(root):
        for file in files:
            if file.endswith('.py'):
                unit_of(module_name(REPO, osp.join(folder, file))[0])


def _write(root, relpath: str, text: str) -> None:
    path = osp.join(root, relpath)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def test_an_import_going_up_or_sideways_or_hidden_is_reported(tmp_path):
    root = str(tmp_path / PACKAGE)
    _write(root, '__init__.py', 'from . import ops, engine\n')
    _write(root, 'ops/__init__.py', 'from .conv import Conv\n')
    _write(root, 'ops/conv.py', 'from mmrazor_lite.mutables import X\n')
    _write(root, 'datasets/__init__.py', 'from ..ops import conv\n')
    _write(root, 'mutables/__init__.py', 'X = 1\n')
    _write(
        root, 'engine/search/__init__.py', 'from ..runner import loop\n'
        'def f():\n    from mmrazor_lite import ops\n')
    _write(root, 'engine/runner/__init__.py', 'from ..search import f\n')
    found = layering_violations(root)
    assert any('ops/conv.py:1: ops imports mmrazor_lite.mutables, a layer '
               'above it' in line for line in found), found
    assert any('datasets/__init__.py:1: datasets imports mmrazor_lite.ops, '
               'of its own layer' in line for line in found), found
    assert any('engine/search/__init__.py:1: engine.search imports '
               'mmrazor_lite.engine.runner, a layer above it' in line
               for line in found), found
    assert any('engine/search/__init__.py:3: imports mmrazor_lite.ops '
               'inside a function' in line for line in found), found
    # the root package and a lower layer's import: no complaint
    assert not any(
        line.startswith(f'{PACKAGE}/__init__.py') or 'engine/runner' in line
        for line in found), found


def test_the_search_kit_registers_nothing():
    """``engine/search`` is plain machinery: the loops register."""
    folder = osp.join(REPO, PACKAGE, 'engine', 'search')
    for file in sorted(os.listdir(folder)):
        if not file.endswith('.py'):
            continue
        with open(osp.join(folder, file), encoding='utf-8') as f:
            tree = ast.parse(f.read())
        calls = [
            node.lineno for node in ast.walk(tree) if
            isinstance(node, ast.Attribute) and node.attr == 'register_module'
        ]
        assert calls == [], f'engine/search/{file}:{calls} registers a type'
