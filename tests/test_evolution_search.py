"""EvolutionSearchLoop on a tiny SPOS supernet and the digits data (CPU)."""
import json
import os.path as osp
import uuid

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CONFIG = osp.join(REPO, 'configs', 'demo',
                       'spos_supernet_shufflenetv2_digits.py')
IMAGE = 16


def tiny_config(work_dir, search=None, load_from=None, resume=False):
    """The digits SPOS config, shrunk; ``search``: the search loop args."""
    from mmrazor_lite.apis import build_config
    cfg = build_config(DEMO_CONFIG, str(work_dir))
    cfg.experiment_name = f'search_test_{uuid.uuid4().hex[:8]}'
    cfg.model.architecture.backbone.widen_factor = 0.25
    cfg.model.architecture.backbone.stage_blocks = (1, 1, 1, 1)
    cfg.model.architecture.backbone.last_channels = 64
    cfg.model.architecture.head.in_channels = 64
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.image_size = IMAGE
        cfg[loader].batch_size = 64
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0)
    cfg.load_from = load_from
    if search is None:  # a few supernet training steps
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=5,
                             val_interval=1000)
        cfg.param_scheduler[0].end = 5
        cfg.default_hooks.checkpoint.interval = 5
        return cfg
    loop = dict(
        type='EvolutionSearchLoop',
        # 128 images of the val split are enough to rank paths here
        dataloader=dict(cfg.val_dataloader,
                        dataset=dict(cfg.val_dataloader.dataset,
                                     indices=128)),
        evaluator=dict(type='Accuracy', topk=(1, 5)),
        calibrate_dataloader=cfg.train_dataloader,
        calibrate_samples=64,
        max_epochs=2, num_candidates=6, top_k=2, num_mutation=2,
        num_crossover=2, mutate_prob=0.5, input_shape=(1, 3, IMAGE, IMAGE),
        score_key='accuracy/top1', seed=0,
        # as tools/train.py --resume sets it
        resume_from='auto' if resume else None)
    loop.update(search)
    cfg.train_cfg = loop
    return cfg


def run(cfg):
    from mmrazor_lite.apis import build_runner
    runner = build_runner(cfg)
    runner.train()
    return runner


@pytest.fixture(scope='module')
def supernet_ckpt(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('supernet')
    run(tiny_config(work_dir))
    ckpt = osp.join(work_dir, 'iter_5.pth')
    assert osp.isfile(ckpt)
    return ckpt


@pytest.fixture(scope='module')
def full_search(tmp_path_factory, supernet_ckpt):
    work_dir = tmp_path_factory.mktemp('search_full')
    runner = run(tiny_config(work_dir, search={}, load_from=supernet_ckpt))
    return str(work_dir), runner.train_loop


def test_search_outputs(full_search):
    from mmrazor_lite.subnet.subnet_file import load_subnet_file
    work_dir, loop = full_search
    subnet = load_subnet_file(osp.join(work_dir, 'best_fix_subnet.yaml'))
    assert len(subnet) == 4
    assert all(k.startswith('backbone.layers.') for k in subnet)

    ckpt = torch.load(osp.join(work_dir, 'best_subnet_weights.pth'),
                      weights_only=True)
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
        state = torch.load(osp.join(work_dir, f'search_epoch_{n}.pth'),
                           weights_only=True)
        assert state['generation'] == n
        assert len(state['top_k']) == 2
    state = torch.load(osp.join(work_dir, 'search_epoch_2.pth'),
                       weights_only=True)
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
    run(tiny_config(tmp_path, search=dict(max_epochs=1),
                    load_from=supernet_ckpt))
    assert osp.isfile(tmp_path / 'search_epoch_1.pth')
    assert not osp.exists(tmp_path / 'search_epoch_2.pth')

    # as ``tools/train.py --resume`` without load_from: the supernet the
    # state names is loaded
    runner = run(tiny_config(tmp_path, search={}, load_from=None,
                             resume=True))
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
    from mmrazor_lite.engine.evolution_search_loop import \
        SearchConstraintError
    cfg = tiny_config(tmp_path, search=dict(flops_range=(0, 1)),
                      load_from=supernet_ckpt)
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
    runner = run(tiny_config(tmp_path, search=dict(
        max_epochs=1, device_accuracy=False), load_from=supernet_ckpt))
    loop = runner.train_loop
    assert loop.scorer.scoring_path == 'evaluator'
    assert loop.scorer.accuracy_counter is None
    # generation 1 is the same draw, scored the other way: same scores
    assert loop.evaluated == full_loop.evaluated[:len(loop.evaluated)]
    assert all(loop.scores[c] == full_loop.scores[c] for c in loop.evaluated)


@pytest.mark.parametrize('cache_data,device_accuracy', [
    (False, True), ('preprocessed', True), ('preprocessed', False)])
def test_every_cache_gives_the_same_scores(tmp_path, full_search,
                                           supernet_ckpt, cache_data,
                                           device_accuracy):
    """The search above cached uint8 batches (stacked tensors); read afresh
    (lists of images) or cached after the data preprocessor, through the
    device count or the evaluator, the inputs and so the scores are the
    same."""
    _, full_loop = full_search
    assert full_loop.scorer.cache_data is True
    assert isinstance(full_loop.scorer.search_cache[0]['inputs'],
                      torch.Tensor)
    assert full_loop.scorer.search_cache[0]['inputs'].dtype == torch.uint8
    runner = run(tiny_config(tmp_path, search=dict(
        max_epochs=1, cache_data=cache_data,
        device_accuracy=device_accuracy), load_from=supernet_ckpt))
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
    cfg = tiny_config(tmp_path, search=dict(cache_data='gpu'),
                      load_from=supernet_ckpt)
    with pytest.raises(ValueError, match="cache_data must be True, False "
                       "or 'preprocessed', got 'gpu'"):
        run(cfg)


def test_user_hooks_run_once_per_generation(tmp_path, supernet_ckpt):
    """A search is an mmengine train loop: custom hooks see the train
    events, one epoch per generation, also across a resume."""
    from conftest import load_module
    recorder = load_module('tests/helpers/search_hook_recorder.py')
    cfg = tiny_config(tmp_path, search=dict(max_epochs=1),
                      load_from=supernet_ckpt)
    cfg.custom_hooks = [dict(type='SearchHookRecorder')]
    run(cfg)
    assert recorder.read_events(tmp_path) == recorder.expected_events(0, 1)
    cfg = tiny_config(tmp_path, search=dict(max_epochs=3),
                      load_from=supernet_ckpt, resume=True)
    cfg.custom_hooks = [dict(type='SearchHookRecorder')]
    run(cfg)
    assert recorder.read_events(tmp_path) == \
        recorder.expected_events(0, 1) + recorder.expected_events(1, 3)
    # the generations are logged as scalars through the runner too
    steps = sorted(json.loads(line)['step']
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
    cfg = build_config(search, str(tmp_path), resume='auto',
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
    assert cfg.resume and cfg.load_from is None
    cfg = build_config(DEMO_CONFIG, str(tmp_path), resume='iter_5.pth')
    assert cfg.resume and cfg.load_from == 'iter_5.pth'


def test_search_without_supernet_weights_is_refused(tmp_path):
    """It used to search a randomly initialised supernet and exit 0."""
    cfg = tiny_config(tmp_path, search={}, load_from=None)
    with pytest.raises(ValueError, match='no supernet weights to search. '
                       'Set load_from=SUPERNET_CKPT'):
        run(cfg)
    assert not list(tmp_path.glob('search_epoch_*.pth'))
    assert not (tmp_path / 'best_fix_subnet.yaml').exists()


def test_zero_calibration_samples_is_refused(tmp_path, supernet_ckpt):
    """It used to skip BN re-estimation silently."""
    cfg = tiny_config(tmp_path, search=dict(calibrate_samples=0),
                      load_from=supernet_ckpt)
    with pytest.raises(ValueError, match='calibrate_samples must be >= 1 '
                       'to re-estimate BN, got 0; set calibrate_dataloader='
                       'False'):
        run(cfg)
