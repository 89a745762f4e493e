"""What a search leaves in its work dir: the best subnet and its weights.

- ``best_fix_subnet.yaml``: module path -> ``{chosen: NAME}``;
- ``best_subnet_weights.pth``: ``{'state_dict', 'meta': {'fix_subnet',
  'score', 'score_key', 'supernet_checkpoint'}}``, the searched model's state
  dict (the SPOS algorithm's, so keys read ``architecture.backbone...`` as
  in MMRazor) without the weights of unchosen candidates
  (:func:`mmrazor_lite.subnet.sliced_state_dict`);
- ``search_top_k.txt``: rank, score, FLOPs, params and subnet of the top-k;
- ``search_candidates.csv``: every scored candidate, in the order scored:
  its generation, score, FLOPs, params and choice per decision; a float32
  score as the shortest decimal that reads back as it (``75.3``, not
  ``75.30000305175781``, :func:`score_text`).

All are written atomically.
"""
import csv
import io
import os.path as osp
from typing import Iterable, Mapping, Sequence, Tuple

import numpy
import torch

from mmrazor_lite.fileio.checkpoint_io import (atomic_torch_save,
                                               atomic_write_text)
from .subnet_file import dump_subnet_file

SUBNET_FILE = 'best_fix_subnet.yaml'
WEIGHTS_FILE = 'best_subnet_weights.pth'
TOP_K_FILE = 'search_top_k.txt'
CANDIDATES_FILE = 'search_candidates.csv'


def write_search_result(work_dir: str, fix_subnet: Mapping[str, str],
                        state_dict: Mapping[str,
                                            torch.Tensor], meta: dict) -> None:
    """Write the subnet file and the sliced weights into ``work_dir``."""
    dump_subnet_file(fix_subnet, osp.join(work_dir, SUBNET_FILE))
    atomic_torch_save(
        dict(
            state_dict=state_dict,
            meta=dict(meta, fix_subnet=dict(fix_subnet))),
        osp.join(work_dir, WEIGHTS_FILE))


def write_top_k_table(
        work_dir: str, title: str,
        rows: Sequence[Tuple[float, Sequence, Sequence[str]]]) -> None:
    """``search_top_k.txt``: one row (score, costs, subnet) each; costs
    are ``(flops, params[, latency_ms])``, the latency column is written
    when a row has one."""
    latency = any(_latency(costs) is not None for _, costs, _ in rows)
    lines = [
        f'# {title}',
        f'{"rank":>4}  {"score":>10}  {"FLOPs":>15}  {"params":>12}  ' +
        (f'{"latency ms":>10}  ' if latency else '') + 'subnet'
    ]
    for rank, (score, costs, names) in enumerate(rows, 1):
        flops, params = costs[:2]
        lines.append(f'{rank:>4}  {score:>10.4f}  {flops:>15,}  '
                     f'{params:>12,}  ' +
                     (f'{_latency(costs):>10.3f}  ' if latency else '') +
                     ' '.join(names))
    atomic_write_text('\n'.join(lines) + '\n', osp.join(work_dir, TOP_K_FILE))


def _latency(costs: Sequence):
    return costs[2] if len(costs) > 2 else None


def score_text(score: float) -> str:
    """``score`` as a person reads it, and as it reads back.

    Accuracies are float32 values (mmpretrain computes them in float32):
    such a score is written as the shortest decimal whose float32 is the
    score (``75.30000305175781`` -> ``'75.3'``; ``numpy.float32('75.3')``
    is the score again, exactly). A score that no float32 holds exactly is
    written as its shortest ``repr`` (it reads back as itself).

    Args:
        score (float): The score.

    Returns:
        str: Its text, Python's ``repr`` form (``'75.3'``, ``'100.0'``).
    """
    score = float(score)
    single = numpy.float32(score)
    if numpy.isfinite(single) and float(single) == score:
        return repr(float(str(single)))
    return repr(score)


def write_candidates_table(
        work_dir: str, score_key: str, decisions: Sequence[str],
        rows: Iterable[Tuple[int, float, Sequence, Sequence[str]]]) -> None:
    """``search_candidates.csv``: a row (generation, score, costs, subnet)
    per candidate; columns ``candidate`` (1-based, the order scored),
    ``generation``, ``score_key`` (:func:`score_text`), ``flops``,
    ``params``, ``latency_ms`` (when the costs carry one) and one per
    decision (its choice).

    Args:
        work_dir (str): Where the file goes.
        score_key (str): The score's column name (``accuracy/top1``).
        decisions (Sequence[str]): The decisions' column names.
        rows (Iterable[tuple]): ``(generation or None, score, costs,
            choices)`` per candidate, in the order scored; ``costs`` is
            ``(flops, params[, latency_ms])``.
    """
    rows = list(rows)
    latency = any(_latency(costs) is not None for _, _, costs, _ in rows)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator='\n')
    writer.writerow(['candidate', 'generation', score_key, 'flops', 'params'] +
                    (['latency_ms'] if latency else []) + list(decisions))
    for index, (generation, score, costs, names) in enumerate(rows, 1):
        writer.writerow([
            index, '' if generation is None else generation,
            score_text(score), *costs[:2]
        ] + ([repr(float(_latency(costs)))] if latency else []) + list(names))
    atomic_write_text(text.getvalue(), osp.join(work_dir, CANDIDATES_FILE))
