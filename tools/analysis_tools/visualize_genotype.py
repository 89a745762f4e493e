"""Draw the normal and reduction cells of a DARTS genotype.

Usage::

    python tools/analysis_tools/visualize_genotype.py GENOTYPE
        [--out cells.png|cells.svg] [--name NAME]

GENOTYPE is a genotype file (yaml/json, see ``dump_genotype``) or the name
of a shipped genotype (``PC_DARTS_cifar``, ...). Only matplotlib is used:
the layout is a layered left-to-right one computed here, so no graphviz.
"""
import argparse
import io
import os.path as osp
import sys

import matplotlib
import numpy as np
# an Agg canvas of our own: headless, and no global pyplot backend switch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch

FORMATS = ('png', 'svg')
INPUTS = ('c_{k-2}', 'c_{k-1}')
OUTPUT = 'c_{k}'
NODE_COLORS = dict(input='#b4eeb4', node='#add8e6', output='#eee8aa')
OP_COLORS = dict(
    max_pool_3x3='#1f77b4',
    avg_pool_3x3='#17becf',
    skip_connect='#7f7f7f',
    sep_conv_3x3='#d62728',
    sep_conv_5x5='#ff7f0e',
    dil_conv_3x3='#2ca02c',
    dil_conv_5x5='#9467bd')
RADIUS = 0.42  # node radius, data units
DY = 1.6  # spacing of the nodes of one layer, data units
INCH = 0.75  # inches per data unit: fixes the font-to-graph ratio
RADS = (0.0, 0.2, -0.2, 0.35, -0.35, 0.5, -0.5)  # arc bends to try
TS = (0.5, 0.45, 0.55, 0.4, 0.6, 0.35, 0.65, 0.3, 0.7)  # label spots


def state_label(index):
    """Return the picture's label of cell state ``index``.

    Args:
        index (int): The state index; 0 and 1 are the cell inputs.

    Returns:
        str: ``'c_{k-2}'`` or ``'c_{k-1}'`` for the inputs, else the node
        number (``index - 2``).
    """
    return INPUTS[index] if index < 2 else str(index - 2)


def cell_structure(pairs, concat):
    """List the edges and the concatenated states of one cell.

    Args:
        pairs (Sequence[tuple]): The cell's ``(op, input)`` pairs, two per
            node.
        concat (Sequence[int]): The states concatenated into the output.

    Returns:
        dict: ``edges``, a list of ``(src, dst, op)`` by state label, and
        ``outputs``, the labels of the concatenated states.
    """
    edges = [(state_label(i), str(n // 2), op)
             for n, (op, i) in enumerate(pairs)]
    return dict(edges=edges, outputs=[state_label(i) for i in concat])


def _layout(steps, structure):
    """Longest-path layers: a node sits one layer right of its inputs.

    A gap between layers widens with the op labels that must fit in it.
    """
    layer = {name: 0 for name in INPUTS}
    for n in range(steps):
        layer[str(n)] = 1 + max(
            layer[src] for src, dst, _ in structure['edges'] if dst == str(n))
    layer[OUTPUT] = 1 + max(layer.values())
    gaps = [
        2.4 + 0.4 * sum(layer[s] <= k < layer[d]
                        for s, d, _ in structure['edges'])
        for k in range(layer[OUTPUT])
    ]
    xs = np.concatenate([[0], np.cumsum(gaps)])
    pos = {}
    for k in range(layer[OUTPUT] + 1):
        column = [name for name in layer if layer[name] == k]  # index order
        for row, name in enumerate(column):
            pos[name] = np.array([xs[k], ((len(column) - 1) / 2 - row) * DY])
    return pos


def _arc(p0, p1, rad, n=40):
    """Points of matplotlib's ``arc3`` curve (valid for equal aspect)."""
    (dx, dy), mid = p1 - p0, (p0 + p1) / 2
    ctrl = mid + rad * np.array([dy, -dx])
    t = np.linspace(0, 1, n)[:, None]
    return (1 - t)**2 * p0 + 2 * t * (1 - t) * ctrl + t**2 * p1


def _route(pos, src, dst, used):
    """The least bent arc that keeps clear of the other nodes."""
    others = [p for name, p in pos.items() if name not in (src, dst)]
    best = None
    for rad in RADS:
        if (src, dst, rad) in used:  # a second edge of the same pair
            continue
        pts = _arc(pos[src], pos[dst], rad)
        gap = min((np.linalg.norm(pts - p, axis=1).min() for p in others),
                  default=np.inf)
        if gap > 1.6 * RADIUS:
            return rad
        if best is None or gap > best[0]:
            best = (gap, rad)
    return best[1]


def _plan(steps, structure):
    """Node positions and routed edges ``(src, dst, op, rad, points)``;
    concat edges have ``op=None``."""
    pos = _layout(steps, structure)
    edges, used = [], set()
    pairs = structure['edges'] + [(s, OUTPUT, None)
                                  for s in structure['outputs']]
    for src, dst, op in pairs:
        rad = _route(pos, src, dst, used)
        used.add((src, dst, rad))
        edges.append((src, dst, op, rad, _arc(pos[src], pos[dst], rad)))
    return pos, edges


def _extent(pos, edges):
    """(xmin, xmax, ymin, ymax) of nodes and edges, with room for labels."""
    pts = np.concatenate([np.array(list(pos.values()))] +
                         [e[4] for e in edges])
    (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
    return x0 - 0.8, x1 + 0.8, y0 - 0.8, y1 + 0.8


def _overlap(a, b):
    """The overlapping area of two bounding boxes."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(w, 0) * max(h, 0)


def _draw_cell(ax, pos, edges, title):
    """Draw one cell's nodes, edges and op labels into ``ax``."""
    circles = {}
    for name, p in pos.items():
        kind = ('input'
                if name in INPUTS else 'output' if name == OUTPUT else 'node')
        circles[name] = Circle(
            p, RADIUS, fc=NODE_COLORS[kind], ec='black', lw=1.2, zorder=3)
        ax.add_patch(circles[name])
        text = name if kind == 'node' else f'${name}$'
        ax.text(*p, text, ha='center', va='center', fontsize=12, zorder=4)
    for src, dst, op, rad, _ in edges:
        ax.add_patch(
            FancyArrowPatch(
                pos[src],
                pos[dst],
                connectionstyle=f'arc3,rad={rad}',
                patchA=circles[src],
                patchB=circles[dst],
                arrowstyle='-|>',
                mutation_scale=14,
                lw=1.4,
                ls='-' if op else '--',
                zorder=1,
                color=OP_COLORS.get(op, '#444444') if op else '#999999'))
    ax.set_title(title, fontsize=13)
    x0, x1, y0, y1 = _extent(pos, edges)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect('equal')
    ax.axis('off')
    _place_labels(ax, edges, circles)


def _place_labels(ax, edges, circles):
    """Greedy: each op label takes the spot along its edge that overlaps
    other labels and nodes least, then crosses the fewest edges (lines under
    a label stay readable thanks to its white box; covered text does not).
    """
    renderer = ax.figure.canvas.get_renderer()
    taken = [c.get_window_extent(renderer) for c in circles.values()]
    lines = [ax.transData.transform(e[4]) for e in edges]
    for k, (src, dst, op, rad, pts) in enumerate(edges):
        if op is None:
            continue
        best = None
        for t in TS:
            i = int(round(t * (len(pts) - 1)))
            # along the edge, so a label is plainly its edge's one (TS
            # keeps i off the ends, so i +- 1 are points of the curve)
            dx, dy = lines[k][i + 1] - lines[k][i - 1]
            angle = (np.degrees(np.arctan2(dy, dx)) + 90) % 180 - 90
            label = ax.text(
                *pts[i],
                op,
                rotation=angle,
                rotation_mode='anchor',
                ha='center',
                va='center',
                fontsize=8.5,
                color=OP_COLORS.get(op, '#444444'),
                zorder=2,
                bbox=dict(
                    boxstyle='round,pad=0.15',
                    fc='white',
                    ec='none',
                    alpha=0.9))
            box = label.get_window_extent(renderer).expanded(1.1, 1.3)
            crossed = sum(
                np.count_nonzero((p[:, 0] > box.x0) & (p[:, 0] < box.x1)
                                 & (p[:, 1] > box.y0) & (p[:, 1] < box.y1))
                for j, p in enumerate(lines) if j != k)
            cost = (sum(_overlap(box, b) for b in taken), crossed)
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, label, box)
            else:
                label.remove()
            if cost == (0, 0):
                break
        taken.append(best[2])


def draw_genotype(genotype, out_path, title=None):
    """Draw both cells of ``genotype`` into ``out_path`` (.png or .svg).

    Args:
        genotype (Genotype | tuple): The genotype, or the tuple of its
            fields; any op name is accepted, the indices must hold.
        out_path (str): The picture file; its extension, ``.png`` or
            ``.svg``, picks the format.
        title (str, optional): The title of the figure. Defaults to None
            (no title).

    Returns:
        dict: ``{'normal': {'edges': [(src, dst, op), ...], 'outputs':
        [...]}, 'reduce': ...}`` with the node labels of the picture.

    Raises:
        ValueError: If the extension is not ``.png`` or ``.svg``, or the
            genotype is invalid.
    """
    from mmrazor_lite.fileio.checkpoint_io import atomic_write_bytes
    from mmrazor_lite.structures.genotype import Genotype

    fmt = osp.splitext(out_path)[1].lower().lstrip('.')
    if fmt not in FORMATS:
        raise ValueError(f'{out_path}: the picture format comes from the '
                         f'extension, one of {list(FORMATS)}; got {fmt!r}')
    genotype = Genotype(*genotype)
    # ops are only labels here, so any op name is fine; indices must hold
    genotype.validate(
        sorted({op
                for op, _ in genotype.normal + genotype.reduce}),
        source='genotype')
    cells = {
        cell:
        cell_structure(
            getattr(genotype, cell), getattr(genotype, f'{cell}_concat'))
        for cell in ('normal', 'reduce')
    }
    plans = {c: _plan(len(getattr(genotype, c)) // 2, cells[c]) for c in cells}
    # one data unit is INCH inches in both panels, so fonts match the graph
    extents = {c: _extent(*plans[c]) for c in cells}
    width = max(x1 - x0 for x0, x1, _, _ in extents.values())
    heights = [y1 - y0 + 0.6 for _, _, y0, y1 in extents.values()]
    # svg keeps text as text: searchable, and tests can read the labels
    with matplotlib.rc_context({'svg.fonttype': 'none'}):
        fig = Figure(figsize=(width * INCH, sum(heights) * INCH))
        FigureCanvasAgg(fig)
        axes = fig.subplots(2, 1, gridspec_kw=dict(height_ratios=heights))
        if title:
            fig.suptitle(title, fontsize=15)
        for ax, cell in zip(axes, cells):
            _draw_cell(ax, *plans[cell], f'{cell} cell')
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=120, bbox_inches='tight')
    atomic_write_bytes(buf.getvalue(), out_path)
    return cells


def load(spec):
    """Load a genotype from a file path or a shipped genotype name.

    Args:
        spec (str): A genotype yaml/json file or the name of a shipped
            genotype.

    Returns:
        tuple: ``(genotype, name)``: the Genotype and its name (the file
        name without its extension, or the shipped name).

    Raises:
        FileNotFoundError: If ``spec`` looks like a path (an extension or
            a separator) but no such file exists.
        KeyError: If ``spec`` is neither a file nor a shipped name.
    """
    from mmrazor_lite.structures.genotype import GENOTYPES, load_genotype
    if osp.isfile(spec):
        return load_genotype(spec), osp.splitext(osp.basename(spec))[0]
    if spec in GENOTYPES:
        return GENOTYPES[spec], spec
    if osp.splitext(spec)[1] or osp.sep in spec:
        raise FileNotFoundError(f'genotype file {spec!r} does not exist')
    raise KeyError(f'{spec!r} is neither a genotype file nor a shipped '
                   f'genotype; shipped: {sorted(GENOTYPES)}')


def parse_args(argv=None):
    """Parse the command line of the tool.

    Args:
        argv (list[str], optional): The arguments to parse. Defaults to
            None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='Draw the cells of a DARTS genotype')
    parser.add_argument(
        'genotype', help='genotype yaml/json file or shipped name')
    parser.add_argument(
        '--out',
        default='cells.png',
        help='output picture, .png or .svg (cells.png)')
    parser.add_argument('--name', help='title (default: genotype name)')
    return parser.parse_args(argv)


def main(argv=None):
    """Draw the genotype on the command line into ``--out``.

    Args:
        argv (list[str], optional): The command-line arguments. Defaults
            to None (``sys.argv[1:]``).

    Returns:
        dict: What :func:`draw_genotype` returns.

    Raises:
        SystemExit: With the message, on a bad ``--out`` extension or a
            genotype that cannot be loaded.
    """
    args = parse_args(argv)
    fmt = osp.splitext(args.out)[1].lower().lstrip('.')
    if fmt not in FORMATS:  # before any loading: fail fast
        sys.exit(f'--out {args.out!r}: the extension must be one of '
                 f'{list(FORMATS)}, got {fmt!r}')
    try:
        genotype, name = load(args.genotype)
    except (KeyError, FileNotFoundError) as e:
        sys.exit(str(e.args[0]))
    structure = draw_genotype(genotype, args.out, title=args.name or name)
    print(f'wrote {args.out}')
    return structure


if __name__ == '__main__':
    main()
