"""What an evolution search's answer depends on; whether a saved state
was written by the search a config describes.

A state file records the settings (every loop argument but those that only
say how to run, the budget as parsed, the config's ``model`` and
``data_preprocessor``), the seed, ``max_epochs`` and the supernet
checkpoint (path and sha256). :func:`check_resume` compares them with the
config now and refuses on any difference, listing each differing key: a
work dir holding another search's state, a changed budget or a retrained
supernet is never continued as if it were the same search.
"""
import hashlib
import os.path as osp
from collections.abc import Mapping
from typing import Optional, Tuple

from torch.utils.data import DataLoader

from mmrazor_lite.engine.config_diff import (Verbatim, describe, differences,
                                             plain)

#: data loader keys that change speed, not the data
LOADER_RUNTIME_KEYS = ('num_workers', 'persistent_workers', 'pin_memory',
                       'prefetch_factor')
SUPERNET_KEY = 'load_from (the supernet)'
#: arguments added after states were first saved: left out while unset,
#: so the state of a search from before them still resumes
UNSET_IS_ABSENT = ('latency_range', 'latency_table', 'predictor')


def loader_settings(loader):
    """What of a data loader (config or object) decides the batches."""
    if isinstance(loader, Mapping):
        return {
            k: plain(v)
            for k, v in loader.items() if k not in LOADER_RUNTIME_KEYS
        }
    if isinstance(loader, DataLoader):
        return dict(
            dataset=plain(type(loader.dataset)),
            size=len(loader.dataset),
            batch_size=loader.batch_size)
    return plain(loader)


def search_settings(args: Mapping, cfg, budget: Mapping) -> dict:
    """The settings record of a search: ``train_cfg.KEY`` -> plain value.

    ``seed`` is kept as configured; :func:`check_resume` compares the seed
    a state used.

    Args:
        args (Mapping): The loop arguments that change the answer, as
            configured (:class:`BaseSearchLoop` lists them; how to run and
            how long are not among them).
        cfg: the run's config (``model``, ``data_preprocessor`` and the
            ``train_dataloader`` that calibrates BN when
            ``calibrate_dataloader`` is None).
        budget: :meth:`ResourceBudget.state_dict` (a bare upper bound and
            ``(None, bound)`` are the same budget).
    """
    loop = {
        k: v
        for k, v in args.items() if not (k in UNSET_IS_ABSENT and v is None)
    }
    if loop.get('calibrate_dataloader') is None:
        loop['calibrate_dataloader'] = cfg.get('train_dataloader')
    for name in ('dataloader', 'calibrate_dataloader'):
        loop[name] = loader_settings(loop.get(name))
    loop.update(budget)
    settings = {f'train_cfg.{k}': plain(v) for k, v in loop.items()}
    if loop.get('latency_table'):  # a table re-timed is another budget
        settings['train_cfg.latency_table (sha256)'] = file_sha256(
            loop['latency_table'])
    settings['model'] = plain(cfg.get('model'))
    settings['data_preprocessor'] = plain(cfg.get('data_preprocessor'))
    return settings


def file_sha256(path: Optional[str]) -> Optional[str]:
    """The sha256 of a local file (streamed), None when there is none."""
    if not path or not osp.isfile(path):
        return None
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _supernet_text(path, sha) -> Verbatim:
    return Verbatim(
        f'{path} (sha256 {sha[:12]})' if sha else f'{path} (no such file)')


def check_resume(state: dict, state_path: str, settings: dict, max_epochs: int,
                 supernet: Optional[str],
                 logger) -> Tuple[Optional[str], Optional[str]]:
    """Refuse ``state`` unless the search now described wrote it.

    Args:
        state: a loaded ``search_epoch_N.pth``; ``state_path`` its file.
        settings: :func:`search_settings` of the config now; its
            ``train_cfg.seed`` None (drawn) takes the state's seed.
        max_epochs: now; at least the state's generation.
        supernet: ``load_from`` now (None: the state's checkpoint).
        logger: told when the supernet file moved (same content).

    Returns:
        ``(path, sha256)`` of the supernet to search.

    Raises:
        ValueError: one message listing every differing key (saved vs now)
            and the ways on.
    """
    afresh = ('start the search afresh: a new --work-dir, or '
              'train_cfg.overwrite=True without --resume to delete this '
              "work dir's search files first")
    if 'settings' not in state or 'supernet_sha256' not in state:
        raise ValueError(
            f'resume: {state_path} records no search settings and no '
            f'supernet hash (it was written before mmrazor_lite recorded '
            f'them), so it cannot be told apart from the state of another '
            f'search; {afresh}')
    saved_settings, settings = dict(state['settings']), dict(settings)
    saved_settings.pop('train_cfg.seed', None)  # compared as used, below
    seed = settings.pop('train_cfg.seed', None)
    found = differences(saved_settings, settings)
    generation = int(state['generation'])
    if max_epochs < generation:
        found.append(('train_cfg.max_epochs', state.get('max_epochs'),
                      Verbatim(f'{max_epochs} (the state is after '
                               f'generation {generation}; at least '
                               f'{generation}, more continues the search)')))
    saved_seed = int(state['seed'])
    if seed is not None and int(seed) != saved_seed:
        found.append(('train_cfg.seed', saved_seed, int(seed)))
    saved_path, saved_sha = state.get('supernet_checkpoint'), \
        state['supernet_sha256']
    path = supernet or saved_path
    sha = file_sha256(path)
    if sha != saved_sha or (sha is None and path != saved_path):
        found.append((SUPERNET_KEY, _supernet_text(saved_path, saved_sha),
                      _supernet_text(path, sha)))
    elif path != saved_path:
        logger.warning(f'resume: {state_path} was written with the supernet '
                       f'{saved_path}, now {path} (the same content)')
    if found:
        raise ValueError(
            f'resume: {state_path} was written by another search than this '
            f'config describes; continuing it would mix the two:\n'
            f'{describe(found)}\nResume with the saved values '
            f'(--cfg-options KEY=SAVED for each key above), or {afresh}')
    return path, sha
