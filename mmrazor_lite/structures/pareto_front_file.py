"""``pareto_front.yaml``: the subnets a Pareto search found that no other
scored candidate beats (higher score at no more cost), and the pick of one
of them for a budget.

The file (written by ``ParetoSearchLoop``) holds what a later pick needs
without searching again: the supernet checkpoint (path and sha256), the
searched model's config (``model``), the score key, the cost objective
and, per member (``front``, cheapest first)::

    - rank: 1                  # 1 = the cheapest by the search's objective
      cost: 1001234            # the objective's value (FLOPs here)
      score: 71.5
      score_key: accuracy/top1
      flops: 1001234
      params: 41234
      latency_ms: 0.83         # only when the search had a latency table
      generation: 3            # that scored it
      decisions: {stage_0_block_0: shuffle_3x3, ...}
      subnet: {backbone.layers.0.0: {chosen: shuffle_3x3}, ...}

``pareto_front_bn.pth`` beside it keeps each member's BatchNorm statistics
re-estimated as when it was scored (a member's weights are the supernet's
but for them). Both are written atomically.
"""
import os.path as osp
from typing import List, Mapping, Optional, Sequence, Tuple

import yaml

from mmrazor_lite.fileio.checkpoint_io import (atomic_torch_save,
                                               atomic_write_text,
                                               load_checkpoint_file)
from mmrazor_lite.fileio.strict_data_file import DataFileError, load_data_file

FRONT_FILE = 'pareto_front.yaml'
FRONT_BN_FILE = 'pareto_front_bn.pth'
MEMBER_KEYS = ('rank', 'cost', 'score', 'flops', 'params', 'decisions',
               'subnet')
#: --X-max option -> the member's field it bounds, and its unit
LIMITS = {
    'flops_max': ('flops', 'FLOPs'),
    'params_max': ('params', 'params'),
    'latency_max': ('latency_ms', 'ms')
}


class ParetoFrontError(ValueError):
    """A front file is unusable or no member fits; the message says why."""


def write_pareto_front(work_dir: str, header: Mapping,
                       members: Sequence[Mapping],
                       bn_statistics: Sequence[Mapping]) -> str:
    """Write ``pareto_front.yaml`` (``header`` then ``front: members``) and
    the members' BN statistics (one mapping of tensors per member, in the
    same order); returns the yaml's path."""
    atomic_torch_save(
        dict(
            decisions=[list(m['decisions'].values()) for m in members],
            buffers=[dict(b) for b in bn_statistics]),
        osp.join(work_dir, FRONT_BN_FILE))
    header = dict(header)
    model = header.pop('model', None)  # long: after the front
    data = dict(
        header,
        bn_statistics=FRONT_BN_FILE,
        front=[dict(m) for m in members],
        model=model)
    path = osp.join(work_dir, FRONT_FILE)
    atomic_write_text(
        '# the Pareto front of a search: see docs/spos.md (Pareto search)\n' +
        yaml.safe_dump(data, sort_keys=False), path)
    return path


def load_pareto_front(path: str) -> dict:
    """Read and check a ``pareto_front.yaml``; errors name the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path}: no such Pareto front file (a ParetoSearchLoop writes '
            f'{FRONT_FILE} into its work dir)')
    try:
        data = load_data_file(path, 'Pareto front file')
    except DataFileError as err:
        raise ParetoFrontError(str(err)) from err
    front = data.get('front') if isinstance(data, dict) else None
    if not isinstance(front, list) or not front:
        raise ParetoFrontError(f'{path}: no "front" list of members')
    for i, member in enumerate(front):
        missing = [
            k for k in MEMBER_KEYS
            if not isinstance(member, dict) or k not in member
        ]
        if missing:
            raise ParetoFrontError(f'{path}: front member {i + 1} lacks '
                                   f'{missing}')
    return data


def pick_member(data: Mapping,
                path: str = FRONT_FILE,
                flops_max: Optional[float] = None,
                params_max: Optional[float] = None,
                latency_max: Optional[float] = None) -> Tuple[int, dict]:
    """``(index, member)`` of the best-scoring member within every bound
    given (the cheaper one on equal scores).

    Raises:
        ParetoFrontError: no bound given; ``latency_max`` on a front
            without latency; no member within the bounds (the message
            gives the cheapest member's cost in each bound's unit).
    """
    limits = {
        name: float(value)
        for name, value in dict(
            flops_max=flops_max,
            params_max=params_max,
            latency_max=latency_max).items() if value is not None
    }
    if not limits:
        raise ParetoFrontError('give a budget: --flops-max, --latency-max '
                               'and/or --params-max')
    front = list(data['front'])
    if 'latency_max' in limits and any(
            m.get('latency_ms') is None for m in front):
        raise ParetoFrontError(
            f'{path}: the front records no latency (its search had no '
            f'train_cfg.latency_table); pick with --flops-max / '
            f'--params-max, or search again with a latency table')
    fits = [
        i for i, m in enumerate(front) if all(
            float(m[LIMITS[name][0]]) <= bound
            for name, bound in limits.items())
    ]
    if not fits:
        asked = ', '.join(f'{LIMITS[n][0]} <= {_amount(v)}'
                          for n, v in limits.items())
        lowest = {
            n: min(float(m[LIMITS[n][0]]) for m in front)
            for n in limits
        }
        cheapest = '; '.join(f'cheapest {LIMITS[n][0]} {_amount(low)} '
                             f'{LIMITS[n][1]}' for n, low in lowest.items())
        raise ParetoFrontError(
            f'{path}: no front member within {asked} ({len(front)} '
            f'members; {cheapest}): raise the budget')
    best = min(
        fits,
        key=lambda i: (-float(front[i]['score']), float(front[i]['cost']), i))
    return best, front[best]


def load_member_bn(path: str, data: Mapping, index: int) -> dict:
    """The BN statistics of member ``index`` of the front file ``path``."""
    bn_path = osp.join(
        osp.dirname(osp.abspath(path)), data.get('bn_statistics',
                                                 FRONT_BN_FILE))
    if not osp.isfile(bn_path):
        raise FileNotFoundError(
            f'{bn_path}: the BN statistics of {path} are missing (the '
            f'search writes them beside it)')
    saved = load_checkpoint_file(bn_path, map_location='cpu')
    decisions: List = saved.get('decisions', [])
    wanted = list(data['front'][index]['decisions'].values())
    if index >= len(decisions) or list(decisions[index]) != wanted:
        raise ParetoFrontError(
            f'{bn_path} does not belong to {path} (member {index + 1} '
            f'differs): copy the two files of one search together')
    return saved['buffers'][index]


def _amount(value: float) -> str:
    """1,001,280 for counts (FLOPs, params), 12.3 for milliseconds."""
    return f'{value:,.0f}' if float(value).is_integer() else f'{value:.4g}'
