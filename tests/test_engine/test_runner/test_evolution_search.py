"""EvolutionSearchLoop on a tiny SPOS supernet and the digits data (CPU)."""
import json
import os.path as osp

import pytest
import torch

from helpers.paths import REPO
from helpers.search_pipeline import (DEMO_CONFIG, copy_state, run, run_logged,
                                     search_log, tiny_config)


@pytest.fixture(scope='module')
def full_search(tmp_path_factory, supernet_ckpt):
    work_dir = tmp_path_factory.mktemp('search_full')
    runner = run(tiny_config(work_dir, search={}, load_from=supernet_ckpt))
    return str(work_dir), runner.train_loop


def test_search_outputs(full_search):
    from mmrazor_lite.structures.subnet_file import load_subnet_file
    work_dir, loop = full_search
    subnet = load_subnet_file(osp.join(work_dir, 'best_fix_subnet.yaml'))
    assert len(subnet) == 4
    assert all(k.startswith('backbone.layers.') for k in subnet)

    ckpt = torch.load(
        osp.join(work_dir, 'best_subnet_weights.pth'), weights_only=True)
    assert dict(ckpt['meta']['fix_subnet']) == dict(subnet)
    keys = list(ckpt['state_dict'])
    for path, chosen in subnet.items():
        ours = [k for k in keys if f'{path}._candidates.' in k]
        assert ours, f'no weights kept for {path}'
        assert all(f'{path}._candidates.{chosen}.' in k for k in ours)
    # the shared parts are all there, with the supernet's values
    assert any('head' in k for k in keys)
    sd = loop.model.state_dict()
    for key in keys:
        assert torch.equal(ckpt['state_dict'][key], sd[key].cpu())

    for n in (1, 2):
        state = torch.load(
            osp.join(work_dir, f'search_epoch_{n}.pth'), weights_only=True)
        assert state['generation'] == n
        assert len(state['top_k']) == 2
    state = torch.load(
        osp.join(work_dir, 'search_epoch_2.pth'), weights_only=True)
    best = state['top_k'][0]
    assert dict(zip(state['decisions'], best)) == dict(subnet)
    scores = {tuple(c): s for c, s in state['scores']}
    assert scores[tuple(best)] >= scores[tuple(state['top_k'][1])]
    assert scores[tuple(best)] == max(scores.values())

    table = open(osp.join(work_dir, 'search_top_k.txt')).read().splitlines()
    rows = [line for line in table if line.strip()[:1].isdigit()]
    assert len(rows) == 2
    assert rows[0].split()[0] == '1'
    assert ' '.join(best) in rows[0]


def test_no_candidate_scored_twice(full_search):
    _, loop = full_search
    assert len(loop.evaluated) == len(set(loop.evaluated))
    assert len(loop.evaluated) == len(loop.scores)
    # generation 1: 6 random paths; generation 2: 2 mutations + 2
    # crossovers, topped up to 6 with new random paths
    assert len(loop.evaluated) == 12


def test_resume_gives_same_answer(tmp_path, full_search, supernet_ckpt):
    full_dir, full_loop = full_search
    run(
        tiny_config(
            tmp_path, search=dict(max_epochs=1), load_from=supernet_ckpt))
    assert osp.isfile(tmp_path / 'search_epoch_1.pth')
    assert not osp.exists(tmp_path / 'search_epoch_2.pth')

    # as ``tools/train.py --resume`` without load_from: the supernet the
    # state names is loaded
    runner = run(tiny_config(tmp_path, search={}, load_from=None, resume=True))
    loop = runner.train_loop
    assert loop.supernet_checkpoint == supernet_ckpt
    with open(osp.join(full_dir, 'best_fix_subnet.yaml')) as f:
        expected = f.read()
    with open(tmp_path / 'best_fix_subnet.yaml') as f:
        assert f.read() == expected
    # the resumed run scored only generation 2's new candidates
    assert len(loop.evaluated) == len(set(loop.evaluated))
    assert loop.evaluated == full_loop.evaluated[-len(loop.evaluated):]
    assert loop.scores == full_loop.scores
    assert loop.top_k_candidates == full_loop.top_k_candidates


def test_unsatisfiable_budget_fails_clearly(tmp_path, supernet_ckpt):
    from mmrazor_lite.engine.runner.evolution_search_loop import \
        SearchConstraintError
    cfg = tiny_config(
        tmp_path, search=dict(flops_range=(0, 1)), load_from=supernet_ckpt)
    with pytest.raises(SearchConstraintError, match='cannot be met'):
        run(cfg)
    assert not osp.exists(tmp_path / 'search_epoch_1.pth')


def test_device_accuracy_scores_as_the_evaluator(full_search):
    """The search counted accuracy on the device; the evaluator agrees."""
    _, loop = full_search
    assert loop.scorer.scoring_path == 'device'  # the fast path was taken
    candidates = list(loop.scores)[:4]
    on_device = [loop.score_candidate(c) for c in candidates]
    assert on_device == [loop.scores[c] for c in candidates]
    loop.scorer.use_evaluator()  # as with device_accuracy=False
    assert loop.scorer.scoring_path == 'evaluator'
    by_evaluator = [loop.score_candidate(c) for c in candidates]
    assert by_evaluator == on_device
    assert len(set(on_device)) > 1  # the candidates differ, so it can tell


def test_device_accuracy_false_uses_the_evaluator(tmp_path, full_search,
                                                  supernet_ckpt):
    _, full_loop = full_search
    runner = run(
        tiny_config(
            tmp_path,
            search=dict(max_epochs=1, device_accuracy=False),
            load_from=supernet_ckpt))
    loop = runner.train_loop
    assert loop.scorer.scoring_path == 'evaluator'
    assert loop.scorer.accuracy_counter is None
    # generation 1 is the same draw, scored the other way: same scores
    assert loop.evaluated == full_loop.evaluated[:len(loop.evaluated)]
    assert all(loop.scores[c] == full_loop.scores[c] for c in loop.evaluated)


@pytest.mark.parametrize('cache_data,device_accuracy',
                         [(False, True), ('preprocessed', True),
                          ('preprocessed', False)])
def test_every_cache_gives_the_same_scores(tmp_path, full_search,
                                           supernet_ckpt, cache_data,
                                           device_accuracy):
    """The search above cached uint8 batches (stacked tensors); read afresh
    (lists of images) or cached after the data preprocessor, through the
    device count or the evaluator, the inputs and so the scores are the
    same."""
    _, full_loop = full_search
    assert full_loop.scorer.cache_data is True
    assert isinstance(full_loop.scorer.search_cache[0]['inputs'], torch.Tensor)
    assert full_loop.scorer.search_cache[0]['inputs'].dtype == torch.uint8
    runner = run(
        tiny_config(
            tmp_path,
            search=dict(
                max_epochs=1,
                cache_data=cache_data,
                device_accuracy=device_accuracy),
            load_from=supernet_ckpt))
    loop = runner.train_loop
    if cache_data:
        cached = loop.scorer.search_cache[0]['inputs']
        assert cached.dtype == torch.float32  # normalised once
        assert all(b['inputs'].dtype == torch.float32
                   for b in loop.scorer.calibration_batches)
    else:
        assert loop.scorer.search_cache is None
    assert (loop.scorer.accuracy_counter is not None) == device_accuracy
    assert loop.evaluated == full_loop.evaluated[:len(loop.evaluated)]
    assert all(loop.scores[c] == full_loop.scores[c] for c in loop.evaluated)


def test_bad_cache_data_is_refused(tmp_path, supernet_ckpt):
    cfg = tiny_config(
        tmp_path, search=dict(cache_data='gpu'), load_from=supernet_ckpt)
    with pytest.raises(
            ValueError,
            match="cache_data must be True, False "
            "or 'preprocessed', got 'gpu'"):
        run(cfg)


def test_user_hooks_run_once_per_generation(tmp_path, supernet_ckpt):
    """A search is an mmengine train loop: custom hooks see the train
    events, one epoch per generation, also across a resume."""
    from helpers.tools import load_module
    recorder = load_module('tests/helpers/search_hook_recorder.py')
    cfg = tiny_config(
        tmp_path, search=dict(max_epochs=1), load_from=supernet_ckpt)
    cfg.custom_hooks = [dict(type='SearchHookRecorder')]
    run(cfg)
    assert recorder.read_events(tmp_path) == recorder.expected_events(0, 1)
    cfg = tiny_config(
        tmp_path,
        search=dict(max_epochs=3),
        load_from=supernet_ckpt,
        resume=True)
    cfg.custom_hooks = [dict(type='SearchHookRecorder')]
    run(cfg)
    assert recorder.read_events(tmp_path) == \
        recorder.expected_events(0, 1) + recorder.expected_events(1, 3)
    # the generations are logged as scalars through the runner too
    steps = sorted(
        json.loads(line)['step']
        for path in tmp_path.glob('*/vis_data/scalars.json')
        for line in open(path))
    assert steps == [1, 2, 3]


def test_scorer_alone_gives_the_search_scores(full_search):
    """The scorer is usable without the loop (benchmarks, predictors)."""
    _, loop = full_search
    for candidate in list(loop.scores)[:2]:
        choices = dict(zip(loop.choices, candidate))
        assert loop.scorer.score(choices) == loop.scores[candidate]


def test_mmengine_resume_or_a_state_as_load_from_is_refused(
        tmp_path, full_search, supernet_ckpt):
    full_dir, _ = full_search
    cfg = tiny_config(tmp_path, search={}, load_from=supernet_ckpt)
    cfg.resume = True
    with pytest.raises(ValueError, match='train_cfg.resume_from'):
        run(cfg)
    state = osp.join(full_dir, 'search_epoch_1.pth')
    cfg = tiny_config(tmp_path, search={}, load_from=state)
    with pytest.raises(ValueError, match='load_from=.*is a search state'):
        run(cfg)


def test_build_config_hands_resume_to_the_search_loop(tmp_path):
    from mmrazor_lite.apis import build_config
    search = osp.join(REPO, 'configs', 'demo', 'spos_search_digits.py')
    cfg = build_config(
        search,
        str(tmp_path),
        resume='auto',
        cfg_options={'load_from': 'supernet.pth'})
    assert cfg.train_cfg.resume_from == 'auto'
    assert not cfg.resume and cfg.load_from == 'supernet.pth'
    cfg = build_config(search, str(tmp_path), resume='x/search_epoch_2.pth')
    assert cfg.train_cfg.resume_from == 'x/search_epoch_2.pth'
    assert not cfg.resume
    # resume = True in the config file means the same as --resume
    cfg = build_config(search, str(tmp_path), cfg_options={'resume': True})
    assert cfg.train_cfg.resume_from == 'auto' and not cfg.resume
    assert 'resume_from' not in build_config(search, str(tmp_path)).train_cfg
    # a training config resumes through mmengine, as before
    cfg = build_config(DEMO_CONFIG, str(tmp_path), resume='auto')
    # an empty work dir: nothing to resume, a fresh start that keeps the
    # config's load_from (mmengine's auto-resume dropped it)
    assert not cfg.resume and cfg.load_from is None
    cfg = build_config(
        DEMO_CONFIG,
        str(tmp_path),
        resume='auto',
        cfg_options={'load_from': 'pretrained.pth'})
    assert not cfg.resume and cfg.load_from == 'pretrained.pth'
    cfg = build_config(
        DEMO_CONFIG, str(tmp_path), cfg_options={'resume': True})
    assert not cfg.resume  # the config's resume = True: the same look-up
    cfg = build_config(DEMO_CONFIG, str(tmp_path), resume='iter_5.pth')
    assert cfg.resume and cfg.load_from == 'iter_5.pth'


def test_search_without_supernet_weights_is_refused(tmp_path):
    """It used to search a randomly initialised supernet and exit 0."""
    cfg = tiny_config(tmp_path, search={}, load_from=None)
    with pytest.raises(
            ValueError,
            match='no supernet weights to search. '
            'Set load_from=SUPERNET_CKPT'):
        run(cfg)
    assert not list(tmp_path.glob('search_epoch_*.pth'))
    assert not (tmp_path / 'best_fix_subnet.yaml').exists()


def test_zero_calibration_samples_is_refused(tmp_path, supernet_ckpt):
    """It used to skip BN re-estimation silently."""
    cfg = tiny_config(
        tmp_path, search=dict(calibrate_samples=0), load_from=supernet_ckpt)
    with pytest.raises(
            ValueError,
            match='calibrate_samples must be >= 1 '
            'to re-estimate BN, got 0; set calibrate_dataloader='
            'False'):
        run(cfg)


# ------------------------------------------ stale or changed search state
def test_fresh_search_refuses_a_work_dir_of_another_search(
        tmp_path, full_search, supernet_ckpt):
    """A fresh search used to overwrite some files and leave others (here
    search_epoch_2.pth), which a later --resume then continued."""
    import shutil
    full_dir, _ = full_search
    copy_state(full_dir, tmp_path, 1, 2)
    shutil.copy(osp.join(full_dir, 'best_fix_subnet.yaml'), tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    cfg = tiny_config(
        tmp_path, search=dict(max_epochs=1, seed=1), load_from=supernet_ckpt)
    with pytest.raises(
            FileExistsError,
            match=r"already holds the files of "
            r"an earlier search \(best_fix_subnet.yaml, "
            r"search_epoch_1.pth, search_epoch_2.pth\).*"
            r"train_cfg.overwrite=True"):
        run(cfg)
    # (the runner dumps the config; no search file is touched)
    assert sorted(p.name for p in tmp_path.iterdir()
                  if p.is_file() and not p.name.endswith('.py')) == before

    # told to overwrite: the old files are removed before the search writes
    cfg = tiny_config(
        tmp_path,
        search=dict(max_epochs=1, seed=1, overwrite=True),
        load_from=supernet_ckpt)
    runner, log = run_logged(cfg)
    assert 'removed best_fix_subnet.yaml, search_epoch_1.pth, ' \
        'search_epoch_2.pth of an earlier search' in log
    assert sorted(p.name for p in tmp_path.glob('search_epoch_*')) == \
        ['search_epoch_1.pth']
    state = torch.load(tmp_path / 'search_epoch_1.pth', weights_only=True)
    assert state['seed'] == 1
    from mmrazor_lite.structures.subnet_file import load_subnet_file
    best = load_subnet_file(str(tmp_path / 'best_fix_subnet.yaml'))
    assert dict(best) == dict(zip(state['decisions'], state['top_k'][0]))

    # overwrite and resume contradict each other
    cfg = tiny_config(
        tmp_path,
        search=dict(overwrite=True),
        load_from=supernet_ckpt,
        resume=True)
    with pytest.raises(
            ValueError,
            match='train_cfg.overwrite=True deletes '
            'the search state that resume_from'):
        run(cfg)


def test_resume_with_changed_settings_is_refused(tmp_path, full_search,
                                                 supernet_ckpt):
    """A tighter budget on resume used to keep top-k candidates over it;
    any setting that changes the answer is now compared."""
    full_dir, _ = full_search
    copy_state(full_dir, tmp_path, 1)
    cfg = tiny_config(
        tmp_path,
        search=dict(top_k=3, flops_range=2e6),
        load_from=supernet_ckpt,
        resume=True)
    cfg.train_cfg.dataloader.batch_size = 32
    cfg.model.architecture.head.loss.label_smooth_val = 0.2
    with pytest.raises(ValueError) as error:
        run(cfg)
    message = str(error.value)
    for line in ('train_cfg.dataloader.batch_size: saved 64, now 32',
                 'train_cfg.flops_range: saved None, now [None, 2000000.0]',
                 'train_cfg.top_k: saved 2, now 3',
                 'model.architecture.head.loss.label_smooth_val: saved 0.1, '
                 'now 0.2'):
        assert line in message
    assert 'search_epoch_1.pth' in message
    assert 'train_cfg.overwrite=True' in message  # the way out is named
    assert 'train_cfg.seed' not in message  # what agrees is not listed
    assert not (tmp_path / 'search_epoch_2.pth').exists()

    # fewer generations than the state has done: its answer is not that of
    # max_epochs generations
    copy_state(full_dir, tmp_path, 2)
    cfg = tiny_config(
        tmp_path,
        search=dict(max_epochs=1),
        load_from=supernet_ckpt,
        resume=True)
    with pytest.raises(
            ValueError,
            match=r'train_cfg.max_epochs: saved 2, '
            r'now 1 \(the state is after generation 2; at least '
            r'2'):
        run(cfg)
    assert not (tmp_path / 'best_fix_subnet.yaml').exists()


def test_resume_checks_the_supernet_file(tmp_path, full_search, supernet_ckpt):
    """The state records the supernet's path and sha256: a changed file is
    refused, a moved one with the same content is searched."""
    import shutil
    full_dir, full_loop = full_search
    moved = tmp_path / 'supernet_copy.pth'
    shutil.copy(supernet_ckpt, moved)
    work = tmp_path / 'work'
    work.mkdir()

    def names_the_copy(state):
        state['supernet_checkpoint'] = str(moved)

    copy_state(full_dir, work, 1, edit=names_the_copy)
    with open(moved, 'ab') as f:  # same path, other content
        f.write(b'retrained')
    cfg = tiny_config(work, search={}, load_from=None, resume=True)
    with pytest.raises(
            ValueError,
            match=r'load_from \(the supernet\): '
            rf'saved {moved} \(sha256 [0-9a-f]{{12}}\), now '
            rf'{moved} \(sha256 [0-9a-f]{{12}}\)'):
        run(cfg)
    other = tmp_path / 'other.pth'
    shutil.copy(moved, other)
    cfg = tiny_config(work, search={}, load_from=str(other), resume=True)
    with pytest.raises(ValueError, match=rf'now {other} \(sha256'):
        run(cfg)
    assert not (work / 'search_epoch_2.pth').exists()

    # the original file: another path, the recorded content
    cfg = tiny_config(work, search={}, load_from=supernet_ckpt, resume=True)
    runner, log = run_logged(cfg)
    assert f'was written with the supernet {moved}, now {supernet_ckpt}' \
        ' (the same content)' in log
    with open(osp.join(full_dir, 'best_fix_subnet.yaml')) as f:
        assert (work / 'best_fix_subnet.yaml').read_text() == f.read()
    state = torch.load(work / 'search_epoch_2.pth', weights_only=True)
    assert state['supernet_checkpoint'] == supernet_ckpt
    full = torch.load(
        osp.join(full_dir, 'search_epoch_2.pth'), weights_only=True)
    assert state['supernet_sha256'] == full['supernet_sha256']


def test_resume_of_a_state_without_its_settings_is_refused(
        tmp_path, full_search, supernet_ckpt):
    """A state written before the settings were recorded cannot be told
    apart from another search's."""
    full_dir, _ = full_search

    def as_written_before(state):
        del state['settings'], state['supernet_sha256']

    copy_state(full_dir, tmp_path, 1, edit=as_written_before)
    cfg = tiny_config(
        tmp_path, search={}, load_from=supernet_ckpt, resume=True)
    with pytest.raises(
            ValueError,
            match='records no search settings and no '
            'supernet hash.*start the search afresh'):
        run(cfg)
    assert not (tmp_path / 'search_epoch_2.pth').exists()


def test_resume_keeps_the_seed_the_search_drew(tmp_path, full_search):
    """With no seed in the config, a resumed search used to draw a new one
    and re-estimate BN on other images than the interrupted search."""
    full_dir, _ = full_search
    copy_state(full_dir, tmp_path, 2)
    runner = run(tiny_config(tmp_path, search=dict(seed=None), resume=True))
    loop = runner.train_loop
    assert loop.seed == 0 and loop.scorer.seed == 0
    ours = torch.load(
        tmp_path / 'best_subnet_weights.pth', weights_only=True)['state_dict']
    full = torch.load(
        osp.join(full_dir, 'best_subnet_weights.pth'),
        weights_only=True)['state_dict']
    assert list(ours) == list(full)
    assert all(torch.equal(ours[k], full[k]) for k in full)


def test_two_process_resume_with_changed_settings_fails_on_every_rank(
        tmp_path, full_search, supernet_ckpt):
    """Both ranks refuse, and neither waits for the other: the ranks run
    as two plain processes (no torchrun to stop a survivor), so a rank
    left in a collective would hang until the timeout."""
    from helpers.tools import train_on_two_ranks
    full_dir, _ = full_search
    copy_state(full_dir, tmp_path, 1)
    config = tmp_path / 'changed_search.py'
    tiny_config(
        tmp_path, search=dict(top_k=3), load_from=supernet_ckpt,
        resume=True).dump(str(config))
    for returncode, output in train_on_two_ranks(config, tmp_path, 150):
        assert returncode != 0, output[-3000:]
        assert 'train_cfg.top_k: saved 2, now 3' in output, output[-3000:]
    assert not (tmp_path / 'search_epoch_2.pth').exists()


# ------------------------------------------------- a search you can watch
def _candidates_table(work_dir):
    import csv
    with open(osp.join(work_dir, 'search_candidates.csv'), newline='') as f:
        return list(csv.DictReader(f))


def test_search_logs_progress_data_loading_and_no_optimizer(full_search):
    import re
    _, loop = full_search
    log = search_log(loop)
    # a line per candidate (6 new ones per generation) with an ETA
    for generation in (1, 2):
        for i in range(1, 7):
            assert re.search(
                rf'evolution search: generation {generation}/2, candidate '
                rf'{i}/6, best accuracy/top1 [\d.]+, eta \d+:\d\d:\d\d\n',
                log), (generation, i)
    # the one-off data loading, with counts and times, and the first BN
    # re-estimation (64 calibration images in one batch of 64; the 128
    # search images in 2)
    assert re.search(
        r'loading 64 calibration images \(BN re-estimation, '
        r'the same for every candidate\) once, kept on cpu, '
        r'as loaded\n.*evolution search: 64 images in 1 '
        r'batches ready in [\d.]+ s', log)
    assert re.search(
        r'loading the search split \(128 images\) once, kept '
        r'on cpu, as loaded\n.*evolution search: 128 images in '
        r'2 batches ready in [\d.]+ s', log)
    assert len(
        re.findall(
            r'BN statistics re-estimated for the first '
            r'candidate in [\d.]+ s', log)) == 1
    # the config inherits the supernet's SGD with paramwise_cfg; a search
    # takes no step, so none is built (nor its line per parameter)
    assert 'paramwise_options' not in log
    groups = loop.runner.optim_wrapper.optimizer.param_groups
    assert [len(g['params']) for g in groups] == [0]


def test_search_writes_every_candidate_scalars_and_picture(full_search):
    from statistics import fmean

    import matplotlib.image
    work_dir, loop = full_search
    rows = _candidates_table(work_dir)
    assert list(rows[0]) == [
        'candidate', 'generation', 'accuracy/top1', 'flops', 'params',
        *loop.choices
    ]
    assert [tuple(r[k] for k in loop.choices) for r in rows] == \
        list(loop.scores)
    assert [float(r['accuracy/top1']) for r in rows] == \
        list(loop.scores.values())
    assert [int(r['candidate']) for r in rows] == list(range(1, 13))
    assert [int(r['generation']) for r in rows] == [1] * 6 + [2] * 6
    for row, candidate in zip(rows, loop.scores):
        choices = loop.as_choices(candidate)
        assert int(row['flops']) == loop.table.flops_of(choices)
        assert int(row['params']) == loop.table.params_of(choices)

    # per generation through the runner's visualizer, step = generation
    scalars = [
        json.loads(line)
        for path in glob_paths(work_dir, '*/vis_data/scalars.json')
        for line in open(path)
    ]
    assert [s['step'] for s in scalars] == [1, 2]
    for generation, logged in zip((1, 2), scalars):
        state = torch.load(
            osp.join(work_dir, f'search_epoch_{generation}.pth'),
            weights_only=True)
        scores = {tuple(c): s for c, s in state['scores']}
        best = tuple(state['top_k'][0])
        choices = loop.as_choices(best)
        # every candidate of a generation's population is new to it
        population = [
            float(r['accuracy/top1']) for r in rows
            if int(r['generation']) == generation
        ]
        assert logged == pytest.approx({
            'step':
            generation,
            'search/best_accuracy/top1':
            max(scores.values()),
            'search/mean_accuracy/top1':
            fmean(population),
            'search/top_k_mean_accuracy/top1':
            fmean(scores[tuple(c)] for c in state['top_k']),
            'search/best_flops':
            loop.table.flops_of(choices),
            'search/best_params':
            loop.table.params_of(choices)
        })

    picture = matplotlib.image.imread(osp.join(work_dir, 'search_pareto.png'))
    assert picture.shape[0] > 200 and picture.shape[1] > 300


def glob_paths(work_dir, pattern):
    import glob
    return sorted(glob.glob(osp.join(work_dir, pattern)))


class _Killed(Exception):
    pass


def test_candidates_table_after_kill_and_resume(tmp_path, full_search,
                                                supernet_ckpt, monkeypatch):
    """Killed in generation 2 after 2 of its 6 candidates, resumed: each
    candidate is in the table once, in order, as in an uninterrupted
    search (the 2 are scored again after the resume)."""
    from mmrazor_lite.engine.search.candidate_scorer import CandidateScorer
    full_dir, _ = full_search
    score, calls = CandidateScorer.score, []

    def killed_after_8(self, choices):
        if len(calls) == 8:
            raise _Killed
        calls.append(choices)
        return score(self, choices)

    monkeypatch.setattr(CandidateScorer, 'score', killed_after_8)
    with pytest.raises(_Killed):
        run(tiny_config(tmp_path, search={}, load_from=supernet_ckpt))
    monkeypatch.undo()
    assert not osp.exists(tmp_path / 'search_epoch_2.pth')
    assert [r['generation'] for r in _candidates_table(tmp_path)] == \
        ['1'] * 6 + ['2'] * 2  # written as scored
    run(tiny_config(tmp_path, search={}, resume=True))
    with open(osp.join(full_dir, 'search_candidates.csv')) as f:
        expected = f.read()
    assert (tmp_path / 'search_candidates.csv').read_text() == expected


def test_search_tool_output_is_quiet_and_keeps_what_matters(
        tmp_path, supernet_ckpt):
    """tools/train.py on a search: no line per parameter of an unused
    optimizer, no mmcv-lite or fvcore import warnings; the progress and
    the result are there."""
    from helpers.tools import run_tool
    config = tmp_path / 'search.py'
    tiny_config(
        tmp_path,
        search=dict(
            max_epochs=1,
            num_candidates=2,
            top_k=1,
            num_mutation=1,
            num_crossover=1,
            calibrate_samples=32),
        load_from=supernet_ckpt).dump(str(config))
    proc = run_tool(
        ['python', 'tools/train.py',
         str(config), '--work-dir',
         str(tmp_path)],
        timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    for noise in ('paramwise_options', 'MultiScaleDeformableAttention',
                  'torch.jit.script'):
        assert noise not in out, noise
    for wanted in ('evolution search: generation 1/1, candidate 1/2, best '
                   'accuracy/top1', 'candidate 2/2', 'evolution search: '
                   'loading the search split', 'BN statistics re-estimated',
                   'generation [1/1] best accuracy/top1', 'search done: '):
        assert wanted in out, wanted
    for name in ('search_candidates.csv', 'search_pareto.png',
                 'best_fix_subnet.yaml'):
        assert (tmp_path / name).is_file(), name
