"""ParetoSearchLoop (NSGA-II over score and FLOPs) on the tiny digits
supernet of test_evolution_search.py, and pick_subnet.py on its front."""
import csv
import os.path as osp

import pytest
import torch
import yaml

import mmrazor_lite  # noqa: F401  (registers the loop, allow-lists files)
from helpers.paths import REPO
from helpers.search_pipeline import IMAGE, run, tiny_config
from helpers.tools import load_module, run_tool_in_process, train_on_two_ranks

PICK = 'tools/analysis_tools/pick_subnet.py'
#: a tiny NSGA-II: 6 per generation, 4 survivors
PARETO = dict(
    type='ParetoSearchLoop',
    max_epochs=2,
    num_candidates=6,
    top_k=4,
    num_mutation=3,
    num_crossover=3)


def flops_span(cfg):
    """The (cheapest, dearest) FLOPs of the tiny space's paths."""
    from mmengine.registry import init_default_scope

    from mmrazor_lite.estimators.resource_table import ResourceTable
    from mmrazor_lite.registry import MODELS
    init_default_scope('mmrazor_lite')
    model = MODELS.build(cfg.model)
    table = ResourceTable(model.architecture, model.mutator,
                          (1, 3, IMAGE, IMAGE), 'fvcore')
    return tuple(table.fixed_flops +
                 sum(pick(v.values()) for v in table.flops.values())
                 for pick in (min, max))


@pytest.fixture(scope='module')
def budget(supernet_ckpt):
    low, high = flops_span(tiny_config('/tmp/unused'))
    return int(low + 0.8 * (high - low))  # rules the dearest paths out


def pareto_config(work_dir, supernet_ckpt, budget, resume=False, **loop):
    return tiny_config(
        work_dir,
        search=dict(PARETO, flops_range=budget, **loop),
        load_from=supernet_ckpt,
        resume=resume)


@pytest.fixture(scope='module')
def pareto(tmp_path_factory, supernet_ckpt, budget):
    work_dir = tmp_path_factory.mktemp('pareto')
    runner = run(pareto_config(work_dir, supernet_ckpt, budget))
    return str(work_dir), runner.train_loop


def read_front(work_dir):
    with open(osp.join(work_dir, 'pareto_front.yaml')) as f:
        return yaml.safe_load(f)


def read_candidates(work_dir, decisions):
    with open(osp.join(work_dir, 'search_candidates.csv'), newline='') as f:
        return [
            dict(
                score=float(r['accuracy/top1']),
                flops=int(r['flops']),
                params=int(r['params']),
                choices=tuple(r[k] for k in decisions))
            for r in csv.DictReader(f)
        ]


def beats(a, b):  # higher or equal score at no more FLOPs, one strictly
    return a['score'] >= b['score'] and a['flops'] <= b['flops'] and \
        (a['score'] > b['score'] or a['flops'] < b['flops'])


def test_front_is_the_non_dominated_set_of_every_candidate(pareto, budget):
    work_dir, loop = pareto
    front = read_front(work_dir)
    rows = read_candidates(work_dir, loop.choices)
    assert len(rows) == 12 == len(loop.scores)  # 6 per generation
    members = [tuple(m['decisions'].values()) for m in front['front']]
    by_choices = {r['choices']: r for r in rows}
    # no scored candidate beats a member; every unbeaten one is a member
    unbeaten = [
        r['choices'] for r in rows if not any(beats(o, r) for o in rows)
    ]
    assert sorted(members) == sorted(unbeaten)
    assert len(members) >= 2  # a front, not a single best
    # cheapest first, rank 1..n; the numbers are the table's
    assert [m['rank'] for m in front['front']] == \
        list(range(1, len(members) + 1))
    assert [m['flops'] for m in front['front']] == \
        sorted(m['flops'] for m in front['front'])
    for member, choices in zip(front['front'], members):
        row = by_choices[choices]
        assert member['score'] == row['score']
        assert member['cost'] == member['flops'] == row['flops']
        assert member['params'] == row['params']
        assert member['flops'] <= budget and 'latency_ms' not in member
        assert member['score_key'] == 'accuracy/top1'
        # the module-path form of best_fix_subnet.yaml
        assert [v['chosen'] for v in member['subnet'].values()] == \
            list(choices)
        assert all(k.startswith('backbone.layers.') for k in member['subnet'])
    assert all(r['flops'] <= budget for r in rows)
    assert front['objective'] == 'flops' and front['candidates_scored'] == 12
    assert front['supernet_checkpoint'] == \
        osp.abspath(loop.supernet_checkpoint)


def test_best_member_is_the_search_result(pareto):
    from mmrazor_lite.structures.subnet_file import load_subnet_file
    work_dir, loop = pareto
    front = read_front(work_dir)['front']
    best = max(front, key=lambda m: m['score'])
    assert best['score'] == max(loop.scores.values())
    subnet = load_subnet_file(osp.join(work_dir, 'best_fix_subnet.yaml'))
    assert dict(subnet) == {k: v['chosen'] for k, v in best['subnet'].items()}
    weights = torch.load(
        osp.join(work_dir, 'best_subnet_weights.pth'), weights_only=True)
    assert weights['meta']['score'] == best['score']
    # the picture, with the front drawn
    import matplotlib.image
    picture = matplotlib.image.imread(osp.join(work_dir, 'search_pareto.png'))
    assert picture.shape[0] > 200 and picture.shape[1] > 300


def test_survivors_are_nsga2_selected(pareto):
    """The kept are whole fronts of kept + population: none of them is
    beaten by a candidate left out, unless the kept fill ``top_k``."""
    from mmrazor_lite.engine.search import nsga2_selection as nsga
    work_dir, loop = pareto
    state = torch.load(
        osp.join(work_dir, 'search_epoch_2.pth'), weights_only=True)
    scores = {tuple(c): s for c, s in state['scores']}
    kept = [tuple(c) for c in state['top_k']]
    assert len(kept) == 4
    flops = {c: loop.table.flops_of(loop.as_choices(c)) for c in scores}
    points = [(scores[c], flops[c]) for c in scores]
    ranks = dict(zip(scores, (k[0] for k in nsga.nsga2_keys(points))))
    worst_kept = max(ranks[c] for c in kept)
    # a better front never loses its place to a worse one
    assert all(ranks[c] >= worst_kept for c in scores if c not in kept)
    # listed front by front, each by score: the first is the best score
    assert [ranks[c] for c in kept] == sorted(ranks[c] for c in kept)
    assert scores[kept[0]] == max(scores.values())


def test_resume_after_generation_1_ends_as_uninterrupted(
        tmp_path, pareto, supernet_ckpt, budget):
    full_dir, full_loop = pareto
    run(pareto_config(tmp_path, supernet_ckpt, budget, max_epochs=1))
    assert not (tmp_path / 'search_epoch_2.pth').exists()
    loop = run(pareto_config(tmp_path, supernet_ckpt, budget,
                             resume=True)).train_loop
    assert loop.evaluated == full_loop.evaluated[6:]  # generation 2 only
    assert loop.scores == full_loop.scores
    assert loop.top_k_candidates == full_loop.top_k_candidates
    for name in ('pareto_front.yaml', 'best_fix_subnet.yaml',
                 'search_candidates.csv'):
        assert (tmp_path / name).read_text() == \
            open(osp.join(full_dir, name)).read(), name
    ours = torch.load(tmp_path / 'pareto_front_bn.pth', weights_only=True)
    full = torch.load(
        osp.join(full_dir, 'pareto_front_bn.pth'), weights_only=True)
    assert ours['decisions'] == full['decisions']
    for a, b in zip(ours['buffers'], full['buffers']):
        assert list(a) == list(b)
        assert all(torch.equal(a[k], b[k]) for k in a)
    # another objective is another search: refused
    cfg = pareto_config(
        tmp_path, supernet_ckpt, budget, resume=True, objective='params')
    with pytest.raises(
            ValueError,
            match="train_cfg.objective: saved "
            "'flops', now 'params'"):
        run(cfg)


def test_two_processes_find_the_same_front(tmp_path, pareto, supernet_ckpt,
                                           budget):
    full_dir, _ = pareto
    config = tmp_path / 'pareto.py'
    pareto_config(tmp_path, supernet_ckpt, budget).dump(str(config))
    for returncode, output in train_on_two_ranks(config, tmp_path):
        assert returncode == 0, output[-3000:]
    ours, full = read_front(tmp_path)['front'], read_front(full_dir)['front']
    assert [m['decisions'] for m in ours] == [m['decisions'] for m in full]
    for a, b in zip(ours, full):
        assert a['score'] == pytest.approx(b['score'], abs=1e-9)
    a = torch.load(tmp_path / 'search_epoch_2.pth', weights_only=True)
    b = torch.load(osp.join(full_dir, 'search_epoch_2.pth'), weights_only=True)
    assert a['top_k'] == b['top_k'] and a['population'] == b['population']
    assert a['rng_state'] == b['rng_state']


def test_fresh_search_refuses_an_earlier_front(tmp_path, pareto, supernet_ckpt,
                                               budget):
    import shutil
    full_dir, _ = pareto
    shutil.copy(osp.join(full_dir, 'pareto_front.yaml'), tmp_path)
    with pytest.raises(
            FileExistsError,
            match=r'files of an earlier search '
            r'\(pareto_front.yaml\).*overwrite=True'):
        run(pareto_config(tmp_path, supernet_ckpt, budget, max_epochs=1))
    # told to overwrite: removed before the search writes its own
    run(
        pareto_config(
            tmp_path, supernet_ckpt, budget, max_epochs=1, overwrite=True))
    assert read_front(tmp_path)['generations'] == 1


def test_rank_by_prediction_is_nsga2_order_of_predicted_score_and_cost():
    from mmrazor_lite.engine.runner.base_search_loop import Costs
    from mmrazor_lite.engine.runner.pareto_search_loop import ParetoSearchLoop
    loop = ParetoSearchLoop.__new__(ParetoSearchLoop)  # no runner needed
    loop.objective = 'params'
    params = dict(a=10, b=5, c=2, d=10, e=8)
    loop._costs = lambda c: Costs(0, params[c], None)
    predicted = dict(a=90, b=80, c=70, d=85, e=60)
    # front 0: a, b, c (ends a and c first, by score); then d, e
    assert loop._rank_by_prediction(list('edcba'), predicted) == \
        list('acbde')


# ------------------------------------------------------- pick_subnet.py
def test_pick_writes_the_member_and_weights_that_load(tmp_path, pareto):
    from mmengine.registry import init_default_scope

    from mmrazor_lite.registry import MODELS
    from mmrazor_lite.structures.subnet_file import load_subnet_file
    work_dir, loop = pareto
    front_file = osp.join(work_dir, 'pareto_front.yaml')
    front = read_front(work_dir)['front']
    tool = load_module(PICK)
    # the budget of the best member: it, with the search's own weights
    best = max(front, key=lambda m: m['score'])
    picked = tool.pick_subnet(
        front_file, str(tmp_path / 'best'), flops_max=best['flops'])
    assert picked['member'] == best
    assert (tmp_path / 'best' / 'best_fix_subnet.yaml').read_text() == \
        open(osp.join(work_dir, 'best_fix_subnet.yaml')).read()
    ours = torch.load(picked['weights_file'], weights_only=True)
    search = torch.load(
        osp.join(work_dir, 'best_subnet_weights.pth'), weights_only=True)
    assert list(ours['state_dict']) == list(search['state_dict'])
    assert all(
        torch.equal(v, search['state_dict'][k])
        for k, v in ours['state_dict'].items())

    # the cheapest budget on the front: its first member
    out = tmp_path / 'cheap'
    proc = run_tool_in_process(PICK, [
        front_file, '--flops-max',
        str(front[0]['flops']), '--out-dir',
        str(out)
    ])
    assert proc.returncode == 0, proc.stderr
    assert 'picked front member 1:' in proc.stdout
    subnet = load_subnet_file(str(out / 'best_fix_subnet.yaml'))
    assert dict(subnet) == {
        k: v['chosen']
        for k, v in front[0]['subnet'].items()
    }
    # its weights load strictly into the subnet config's model
    init_default_scope('mmrazor_lite')
    cfg = tiny_config('/tmp/unused')
    model = MODELS.build(
        dict(
            type='FixedSubnet',
            architecture=cfg.model.architecture,
            fix_subnet=str(out / 'best_fix_subnet.yaml'),
            init_cfg=dict(
                type='Pretrained',
                checkpoint=str(out / 'best_subnet_weights.pth'))))
    model.init_weights()
    assert dict(model.fix_subnet) == dict(subnet)
    from mmrazor_lite.subnet import unwrap_state_dict
    written = torch.load(out / 'best_subnet_weights.pth', weights_only=True)
    # every key found (FixedSubnet loads strictly), each with its value
    sd, ours = model.state_dict(), unwrap_state_dict(written['state_dict'])
    assert len(sd) == len(ours)
    assert torch.equal(sd['head.fc.weight'], ours['head.fc.weight'])
    assert written['meta']['score'] == front[0]['score']
    assert front[0]['score'] != best['score']  # two different members


def test_pick_errors_are_clear(tmp_path, pareto):
    work_dir, _ = pareto
    front_file = osp.join(work_dir, 'pareto_front.yaml')
    cheapest = read_front(work_dir)['front'][0]['flops']
    out = str(tmp_path / 'out')

    def pick(*args):
        return run_tool_in_process(PICK, [*args, '--out-dir', out])

    proc = pick(front_file, '--flops-max', '1000')
    assert proc.returncode == 1
    assert 'no front member within flops <= 1,000' in proc.stderr
    assert f'cheapest flops {cheapest:,}' in proc.stderr
    proc = pick(str(tmp_path / 'nowhere.yaml'), '--flops-max', '1e9')
    assert proc.returncode == 1 and 'no such Pareto front file' in \
        proc.stderr
    proc = pick(front_file, '--latency-max', '5')
    assert proc.returncode == 1 and 'records no latency' in proc.stderr
    proc = pick(front_file, '--flops-max', '1e9', '--supernet-checkpoint',
                str(tmp_path / 'gone.pth'))
    assert proc.returncode == 1 and 'gone.pth' in proc.stderr
    assert not osp.exists(out)  # nothing written on an error
    before = open(osp.join(work_dir, 'best_fix_subnet.yaml')).read()
    proc = run_tool_in_process(
        PICK, [front_file, '--flops-max', '1e9', '--out-dir', work_dir])
    assert proc.returncode == 1 and 'is the search work dir' in proc.stderr
    assert open(osp.join(work_dir, 'best_fix_subnet.yaml')).read() == before


def test_shipped_pareto_configs_follow_the_config_loaders():
    """Their loaders follow train/val_dataloader as the evolution search's
    do (apis/loop_dataloaders.py), and they keep the search's settings."""
    from mmrazor_lite.apis import build_config
    demo = build_config(
        osp.join(REPO, 'configs', 'demo', 'spos_pareto_search_digits.py'),
        '/tmp/u',
        cfg_options={'val_dataloader.dataset.indices': 20})
    loop = demo.train_cfg
    assert loop.type == 'ParetoSearchLoop' and loop.flops_range is None
    assert loop.dataloader.dataset.split == 'val'
    assert loop.dataloader.dataset.indices == 20
    assert loop.calibrate_dataloader.dataset.split == 'train'
    spos = osp.join(REPO, 'configs', 'nas', 'spos')
    for name, batch in (('shufflenetv2_8xb2048', 2048),
                        ('mobilenet_proxyless_gpu_8xb512', 512)):
        cfg = build_config(
            osp.join(spos, f'spos_pareto_search_{name}_in1k.py'), '/tmp/u')
        loop = cfg.train_cfg
        assert loop.type == 'ParetoSearchLoop' and loop.objective == 'flops'
        assert loop.flops_range is None and loop.top_k == 25
        assert loop.dataloader.batch_size == batch
        assert loop.calibrate_dataloader.dataset.split == 'train'


def test_a_predictor_screens_children_in_nsga2_order(tmp_path, monkeypatch,
                                                     supernet_ckpt, budget):
    """With a score predictor, the children scored are the best of the
    bred ones by NSGA-II order of (predicted score, FLOPs)."""
    from mmrazor_lite.engine.runner.pareto_search_loop import ParetoSearchLoop
    from mmrazor_lite.engine.search import nsga2_selection as nsga
    calls = []
    rank = ParetoSearchLoop._rank_by_prediction

    def recorded(self, children, predicted):
        ranked = rank(self, children, predicted)
        calls.append((list(children), dict(predicted), ranked, self))
        return ranked

    monkeypatch.setattr(ParetoSearchLoop, '_rank_by_prediction', recorded)
    loop = run(
        pareto_config(
            tmp_path,
            supernet_ckpt,
            budget,
            predictor=dict(type='GradientBoosting', warmup=6,
                           oversample=2))).train_loop
    assert len(calls) == 2  # after each generation, past the warm-up
    children, predicted, ranked, _ = calls[0]
    assert len(children) > 6 and sorted(ranked) == sorted(children)
    # the objectives are the predicted score and the FLOPs table's cost
    points = [(predicted[c], loop.table.flops_of(loop.as_choices(c)))
              for c in children]
    assert ranked == [children[i] for i in nsga.nsga2_order(points)]
    assert ranked != sorted(children, key=lambda c: -predicted[c])
    # generation 2 scored only the 6 best ranked of those bred
    bred = [c for c in loop.evaluated[6:] if c in children]
    assert bred and all(c in ranked[:6] for c in bred)


def test_latency_objective_front_and_pick(tmp_path, pareto, supernet_ckpt):
    """objective='latency': the front is over (score, predicted latency)
    and a member is picked by --latency-max."""
    from mmrazor_lite.estimators.latency_table import LatencyTable
    _, full_loop = pareto
    # a made-up table whose order of costs is not the FLOPs order
    entries = {
        key: {
            name: 0.5 + 0.25 * ((i + j) % len(names))
            for i, name in enumerate(names)
        }
        for j, (key, names) in enumerate(full_loop.choices.items())
    }
    table = str(tmp_path / 'latency.json')
    LatencyTable(entries, fixed_ms=1.0).save(table)
    work = tmp_path / 'work'
    work.mkdir()
    loop = run(
        pareto_config(
            work,
            supernet_ckpt,
            None,
            max_epochs=1,
            objective='latency',
            latency_table=table)).train_loop
    front = read_front(work)
    assert front['objective'] == 'latency' and front['latency_table'] == table
    with open(work / 'search_candidates.csv', newline='') as f:
        rows = [
            dict(
                score=float(r['accuracy/top1']),
                flops=float(r['latency_ms']),  # the cost compared
                choices=tuple(r[k] for k in loop.choices))
            for r in csv.DictReader(f)
        ]
    unbeaten = [
        r['choices'] for r in rows if not any(beats(o, r) for o in rows)
    ]
    members = front['front']
    assert sorted(tuple(m['decisions'].values()) for m in members) == \
        sorted(unbeaten)
    assert all(m['cost'] == m['latency_ms'] for m in members)
    picked = load_module(PICK).pick_subnet(
        str(work / 'pareto_front.yaml'),
        str(tmp_path / 'pick'),
        latency_max=members[0]['latency_ms'])
    assert picked['member'] == members[0]
    with pytest.raises(
            ValueError,
            match="objective='latency' needs "
            'train_cfg.latency_table'):
        run(
            pareto_config(
                tmp_path / 'other', supernet_ckpt, None, objective='latency'))
