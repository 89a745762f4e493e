"""Read a doc page's code blocks, so tests run what the docs say.

A fenced block is picked by the HTML comment right above it,
``<!-- tested: NAME -->`` (invisible on the rendered page). Python blocks
whose first line is ``# file: NAME`` are files the reader writes; bash
blocks hold ``VAR="..."`` assignments and ``python tools/...`` commands.
"""
import re
import shlex
from typing import Dict, List, Tuple

_BLOCK = re.compile(
    r'<!-- tested: (?P<name>[\w-]+) -->\n'
    r'```(?P<lang>\w+)\n(?P<body>.*?)```', re.S)


def marked_blocks(path: str) -> List[Tuple[str, str, str]]:
    """``(name, language, body)`` of every marked block, in page order."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    return [(m.group('name'), m.group('lang'), m.group('body'))
            for m in _BLOCK.finditer(text)]


def marked_block(path: str, name: str) -> Tuple[str, str]:
    """``(language, body)`` of the block marked ``name``."""
    found = [(lang, body) for n, lang, body in marked_blocks(path)
             if n == name]
    assert len(found) == 1, f'{path}: {len(found)} blocks marked {name!r}'
    return found[0]


def file_name(body: str):
    """``NAME`` of a block starting ``# file: NAME``, else None."""
    match = re.match(r'# file: (\S+)\n', body)
    return match.group(1) if match else None


def shell_commands(body: str) -> List[List[str]]:
    """The ``python tools/...`` commands of a bash block, as argument lists,
    with the block's ``VAR="..."`` variables expanded."""
    lines = body.replace('\\\n', ' ').splitlines()
    variables: Dict[str, str] = {}
    commands = []
    for line in lines:
        assign = re.match(r'^(\w+)="(.*)"$', line)
        if assign:
            variables[assign.group(1)] = assign.group(2)
        elif line.startswith('python tools/'):
            for name, value in variables.items():
                line = line.replace(f'${name}', value)
            commands.append(shlex.split(line, comments=True))
    return commands
