"""``search_pareto.png``: what a search found, score against FLOPs.

Every scored candidate is a dot coloured by the generation that scored it;
the final top-k are ringed, the chosen (best) one is a star, the Pareto
front (no other candidate scores higher with fewer FLOPs) is a step line
and the FLOPs budget bounds are dashed vertical lines. A Pareto search
passes its own front (over its cost objective: FLOPs, params or latency),
drawn as large diamonds joined by the step line. Drawn on an Agg
canvas of its own (headless; pyplot's global backend is left alone) and
written atomically.
"""
import io
from typing import Optional, Sequence, Tuple

from mmrazor_lite.fileio.checkpoint_io import atomic_write_bytes

PARETO_FILE = 'search_pareto.png'
MEGA = 1e6


def pareto_front(
        points: Sequence[Tuple[float,
                               float]]) -> Sequence[Tuple[float, float]]:
    """The (flops, score) points no other point beats: fewer or equal
    FLOPs and a higher score. Sorted by FLOPs."""
    front, best = [], float('-inf')
    for flops, score in sorted(points, key=lambda p: (p[0], -p[1])):
        if score > best:
            front.append((flops, score))
            best = score
    return front


def draw_search_pareto(path: str,
                       points: Sequence[Tuple[int, float, Optional[int]]],
                       top_k: Sequence[Tuple[int, float]],
                       chosen: Tuple[int, float],
                       flops_range: Optional[Sequence] = None,
                       score_key: str = 'score',
                       flops_label: str = 'FLOPs',
                       title: str = '',
                       front: Optional[Sequence[Tuple[float, float]]] = None,
                       x_scale: float = MEGA,
                       kept_label: Optional[str] = None):
    """Draw the picture into ``path``; returns the matplotlib Figure.

    Args:
        points: (flops, score, generation) of every scored candidate.
        top_k: (flops, score) of the final top-k; chosen: of the best.
        flops_range: the budget, ``(min, max)``, either bound None.
        flops_label: the x axis, e.g. ``'FLOPs (fvcore, 1x3x224x224)'``.
        front: (cost, score) of a Pareto search's front, highlighted
            (None: the step line of the points' FLOPs front).
        x_scale: x values are divided by it (1: latency in ms as it is).
        kept_label: the legend of ``top_k`` (default ``top-K``).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
    fig = Figure(figsize=(8, 5.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    generations = [g if g is not None else 0 for _, _, g in points]
    dots = ax.scatter([f / x_scale for f, _, _ in points],
                      [s for _, s, _ in points],
                      c=generations,
                      s=18,
                      cmap='viridis',
                      alpha=0.75,
                      label='scored candidates',
                      zorder=2)
    if len(set(generations)) > 1:
        fig.colorbar(
            dots, ax=ax, label='generation', ticks=MaxNLocator(integer=True))
    line = pareto_front([(f, s) for f, s, _ in points]) if front is None \
        else sorted(front)
    ax.step([f / x_scale for f, _ in line], [s for _, s in line],
            where='post',
            color='0.4',
            linewidth=1,
            label='Pareto front',
            zorder=1)
    if front is not None:
        ax.scatter([f / x_scale for f, _ in front], [s for _, s in front],
                   marker='D',
                   s=55,
                   color='tab:orange',
                   edgecolors='black',
                   linewidths=0.6,
                   label=f'front ({len(front)} subnets)',
                   zorder=3)
    ax.scatter([f / x_scale for f, _ in top_k], [s for _, s in top_k],
               s=90,
               facecolors='none',
               edgecolors='tab:red',
               linewidths=1.5,
               label=kept_label or f'top-{len(top_k)}',
               zorder=3)
    ax.scatter([chosen[0] / x_scale], [chosen[1]],
               marker='*',
               s=260,
               color='gold',
               edgecolors='black',
               linewidths=0.8,
               label='chosen',
               zorder=4)
    for name, bound in zip(('min', 'max'), flops_range or ()):
        if bound is not None:
            ax.axvline(
                bound / x_scale,
                color='tab:red',
                linestyle='--',
                linewidth=1.2,
                label=f'budget {name} '
                f'{bound / x_scale:,.4g}' + (' M' if x_scale == MEGA else ''),
                zorder=0)
    ax.set_xlabel(f'{flops_label}, millions' if x_scale ==
                  MEGA else flops_label)
    ax.set_ylabel(score_key)
    ax.grid(True, alpha=0.3)
    ax.legend(loc='lower right', fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=110, bbox_inches='tight')
    atomic_write_bytes(buf.getvalue(), path)
    return fig
