"""The saved state of an evolution search: file names, RNG, validation,
and one search per work dir (:func:`claim_work_dir`; a DARTS search or
training claims its work dir with :func:`claim_run_work_dir`).

A state file ``search_epoch_{N}.pth`` holds plain lists, numbers and
strings only, so it loads with ``torch.load(weights_only=True)``.
"""
import glob
import os
import os.path as osp
import random
import re
from collections import OrderedDict
from typing import List, Optional

from mmengine.dist import barrier, is_main_process

from mmrazor_lite.fileio.checkpoint_io import (atomic_torch_save,
                                               load_checkpoint_file)
from mmrazor_lite.structures.pareto_front_file import FRONT_BN_FILE, FRONT_FILE
from mmrazor_lite.structures.search_result import (CANDIDATES_FILE,
                                                   SUBNET_FILE, TOP_K_FILE,
                                                   WEIGHTS_FILE)
from .pareto_plot import PARETO_FILE
from .rank_agreement import on_every_rank

STATE_PATTERN = re.compile(r'search_epoch_(\d+)\.pth$')


def state_file_name(generation: int) -> str:
    return f'search_epoch_{generation}.pth'


def save_state(state: dict, work_dir: str) -> str:
    """Write ``state`` atomically as its generation's file; its path."""
    path = osp.join(work_dir, state_file_name(state['generation']))
    atomic_torch_save(state, path)
    return path


def is_search_state(path) -> bool:
    """Whether ``path`` is named like a search state file."""
    return isinstance(path, str) and bool(STATE_PATTERN.search(path))


def latest_search_state(work_dir: str) -> Optional[str]:
    """The ``search_epoch_{N}.pth`` of ``work_dir`` with the largest N."""
    found = []
    for path in glob.glob(osp.join(work_dir, 'search_epoch_*.pth')):
        match = STATE_PATTERN.search(osp.basename(path))
        if match:
            found.append((int(match.group(1)), path))
    return max(found)[1] if found else None


def resolve_resume(resume_from: Optional[str],
                   work_dir: str,
                   logger=None) -> Optional[str]:
    """The state file ``resume_from`` names (``'auto'``: the latest; when
    there is none, ``logger`` is told that the search starts afresh)."""
    if resume_from in (None, False):
        return None
    if resume_from in ('auto', True):
        latest = latest_search_state(work_dir)
        if latest is None and logger is not None:
            logger.info(f'resume: no search_epoch_*.pth in {work_dir}; the '
                        f'search starts afresh')
        return latest
    return str(resume_from)


#: what a search writes into its work dir; a new search must not leave an
#: older one's among its own (a later --resume would continue that one)
SEARCH_FILES = ('search_epoch_*.pth', SUBNET_FILE, WEIGHTS_FILE, TOP_K_FILE,
                CANDIDATES_FILE, PARETO_FILE, FRONT_FILE, FRONT_BN_FILE)

#: mmengine's CheckpointHook's files (its default ``filename_tmpl``, the
#: ``best_*`` of ``save_best`` and ``last_checkpoint``)
CHECKPOINT_FILES = ('epoch_*.pth', 'iter_*.pth', 'best_*.pth',
                    'last_checkpoint')

#: what a DARTS search (``DartsTrainLoop``) writes into its work dir
DARTS_SEARCH_FILES = ('genotype_epoch_*.yaml', 'genotype.yaml') + \
    CHECKPOINT_FILES

#: the way out a refusal names for the search loops' ``train_cfg.overwrite``
OVERWRITE_OPTION = ('set train_cfg.overwrite=True (--cfg-options '
                    'train_cfg.overwrite=True)')


def earlier_run_files(work_dir: str, patterns) -> List[str]:
    """The files at the top level of ``work_dir`` that match ``patterns``.

    Args:
        work_dir (str): The work dir.
        patterns (Sequence[str]): glob patterns, e.g. :data:`SEARCH_FILES`.

    Returns:
        List[str]: Their paths, sorted, each once.
    """
    return sorted({
        path
        for pattern in patterns
        for path in glob.glob(osp.join(work_dir, pattern))
    })


def _refuse_earlier_files(work_dir: str, old: List[str], what: str,
                          way_out: str) -> None:
    """Raise the refusal of a fresh ``what`` in a work dir holding ``old``."""
    raise FileExistsError(
        f'{work_dir} already holds the files of an earlier {what} '
        f'({", ".join(osp.basename(p) for p in old)}); a new {what} '
        f'would mix its files with them and a later --resume would '
        f'continue the old one. Continue that {what} with --resume, use '
        f'a new --work-dir, or {way_out} to delete them first')


def _remove_earlier_files(old: List[str], work_dir: str, what: str,
                          option: str, logger) -> None:
    """Rank 0: delete ``old`` and say so; then every rank waits for it."""
    if old and is_main_process():
        for path in old:
            os.remove(path)
        logger.warning(
            f'{option}: removed '
            f'{", ".join(osp.basename(p) for p in old)} of an earlier '
            f'{what} from {work_dir}')
    barrier()  # nothing is written before the old files are gone


def claim_work_dir(work_dir: str, resume_from, overwrite: bool,
                   logger) -> Optional[str]:
    """The state file to resume (None: start afresh), on every rank.

    A fresh search in a work dir holding an earlier search's files
    (:data:`SEARCH_FILES`) is refused, on every rank, unless ``overwrite``:
    then rank 0 deletes them before any rank goes on.

    Args:
        resume_from: as configured (``'auto'``, a file or None).
        overwrite: ``train_cfg.overwrite``; refused with a resume.
    """
    resolved = resolve_resume(resume_from, work_dir, logger)
    old = on_every_rank(_old_search_files, work_dir, resume_from, resolved,
                        overwrite)
    _remove_earlier_files(old, work_dir, 'search', 'train_cfg.overwrite=True',
                          logger)
    return resolved


def _old_search_files(work_dir: str, resume_from, resolved: Optional[str],
                      overwrite: bool) -> List[str]:
    if overwrite and resume_from not in (None, False):
        raise ValueError(
            f'train_cfg.overwrite=True deletes the search state that '
            f'resume_from={resume_from!r} (--resume) would continue: drop '
            f'one of them')
    if resolved is not None:
        return []
    old = earlier_run_files(work_dir, SEARCH_FILES)
    if old and not overwrite:
        _refuse_earlier_files(work_dir, old, 'search', OVERWRITE_OPTION)
    return old


def claim_run_work_dir(work_dir: str,
                       resumed: Optional[str],
                       overwrite: bool,
                       logger,
                       patterns=DARTS_SEARCH_FILES,
                       what: str = 'DARTS search',
                       option: str = 'train_cfg.overwrite=True',
                       way_out: str = OVERWRITE_OPTION) -> None:
    """Claim the work dir of a run that mmengine resumes, on every rank.

    The run of a DARTS search or a DARTS evaluation training is resumed by
    mmengine (``resume=True``, ``load_from``); started afresh in a work dir
    that holds an earlier run's files (``patterns``: its genotypes and
    checkpoints; logs and dumped configs do not count) it is refused on
    every rank, as :func:`claim_work_dir` refuses a search, unless
    ``overwrite``: then rank 0 deletes them before any rank goes on.

    Args:
        work_dir (str): The run's work dir.
        resumed (str, optional): What the run resumes (its ``load_from``,
            or ``'auto'`` for mmengine's latest checkpoint); None: a
            fresh start.
        overwrite (bool): Delete the earlier run's files; refused with a
            resume.
        logger (logging.Logger): Told what was removed.
        patterns (Sequence[str]): The earlier run's files (glob patterns
            at the top level of ``work_dir``). Defaults to
            :data:`DARTS_SEARCH_FILES`.
        what (str): The run, as the messages name it. Defaults to
            ``'DARTS search'``.
        option (str): The setting that is ``overwrite``, as the messages
            name it. Defaults to ``'train_cfg.overwrite=True'``.
        way_out (str): How to set it, as a refusal names it. Defaults to
            :data:`OVERWRITE_OPTION`.

    Raises:
        FileExistsError: A fresh run, earlier files, no ``overwrite``.
        ValueError: ``overwrite`` with a resume.
    """
    old = on_every_rank(_old_run_files, work_dir, resumed, overwrite, patterns,
                        what, option, way_out)
    _remove_earlier_files(old, work_dir, what, option, logger)


def _old_run_files(work_dir: str, resumed: Optional[str], overwrite: bool,
                   patterns, what: str, option: str,
                   way_out: str) -> List[str]:
    if resumed is not None:
        if overwrite:
            raise ValueError(
                f'{option} deletes the checkpoints of {work_dir} that '
                f'--resume (resume=True, load_from={resumed!r}) would '
                f'continue: drop one of them')
        return []
    old = earlier_run_files(work_dir, patterns)
    if old and not overwrite:
        _refuse_earlier_files(work_dir, old, what, way_out)
    return old


def load_search_state(path: str) -> dict:
    """Read a state file; refuse one not written by a search loop."""
    state = load_checkpoint_file(path, map_location='cpu')
    if not isinstance(state, dict) or 'generation' not in state:
        raise ValueError(f'{path!r} is not a search state written by '
                         f'EvolutionSearchLoop (no "generation")')
    return state


def rng_to_list(rng: random.Random) -> list:
    """``rng``'s state as plain lists (``weights_only`` loadable)."""
    version, internal, gauss = rng.getstate()
    return [int(version), [int(x) for x in internal], gauss]


def rng_from_list(rng: random.Random, state: list) -> None:
    """Restore what :func:`rng_to_list` saved into ``rng``."""
    version, internal, gauss = state
    rng.setstate((int(version), tuple(int(x) for x in internal), gauss))


def check_runner_config(cfg) -> None:
    """Refuse run settings that would make mmengine load the wrong thing.

    A search restores its own state; ``load_from`` is the supernet.
    """
    load_from = cfg.get('load_from')
    if cfg.get('resume'):
        raise ValueError(
            'EvolutionSearchLoop restores its own state: resume=True would '
            'make mmengine resume a training checkpoint. Set '
            'train_cfg.resume_from=auto (or a search_epoch_N.pth), as '
            'tools/train.py --resume does, and keep load_from the supernet '
            'checkpoint')
    if is_search_state(load_from):
        raise ValueError(
            f'load_from={load_from!r} is a search state; load_from must be '
            f'the supernet checkpoint. Continue a search with '
            f'train_cfg.resume_from={load_from!r} (tools/train.py --resume '
            f'FILE)')


def pack_state(generation: int, decisions, population, top_k, scores,
               rng: random.Random, **settings) -> dict:
    """The search state as plain python (``weights_only`` loadable)."""
    return dict(
        generation=int(generation),
        decisions=list(decisions),
        population=[list(c) for c in population],
        top_k=[list(c) for c in top_k],
        scores=[[list(c), float(s)] for c, s in scores.items()],
        rng_state=rng_to_list(rng),
        **settings)


def unpack_state(state: dict, decisions, rng: random.Random):
    """``(generation, population, top_k, scores)`` of ``state``.

    ``rng`` is set to the saved RNG state. Raises ValueError when the state
    was written for other decisions than ``decisions``.
    """
    decisions = list(decisions)
    if list(state['decisions']) != decisions:
        raise ValueError(f'the search state was written for the decisions '
                         f'{state["decisions"]}, this model has {decisions}')
    rng_from_list(rng, state['rng_state'])
    scores = OrderedDict((tuple(c), float(s)) for c, s in state['scores'])
    return (int(state['generation']), [tuple(c) for c in state['population']],
            [tuple(c) for c in state['top_k']], scores)


def check_supernet_weights(supernet_checkpoint: Optional[str], cfg) -> None:
    """Refuse to search a supernet whose weights nothing loads.

    A randomly initialised supernet ranks paths by noise and the search
    would still end with exit 0 and a "best" subnet.
    """
    if supernet_checkpoint:
        return
    init_cfg = (cfg.get('model') or {}).get('init_cfg') or {}
    if isinstance(init_cfg, dict) and init_cfg.get('checkpoint'):
        return  # the model loads its weights itself (Pretrained)
    raise ValueError(
        'EvolutionSearchLoop: no supernet weights to search. Set '
        'load_from=SUPERNET_CKPT (the last iter_*.pth of supernet training, '
        'e.g. --cfg-options load_from=...), or resume a search whose state '
        'names it (--resume)')
