"""Latency tables: measured, saved, loaded, looked up, checked against a
search space, and used by a latency budget. No timing is asserted: only
that the numbers are where they should be and are used as they should."""
import copy
import json
import random

import pytest

from mmrazor_lite.estimators import (LatencyTable, ResourceBudget,
                                     ResourceTable, SearchConstraintError,
                                     build_latency_table)
from mmrazor_lite.estimators.latency_table import fit_correction
from mmrazor_lite.estimators.latency_timer import spread_paths
from mmrazor_lite.mutators import OneShotMutator
from mmrazor_lite.registry import MODELS
from helpers.paths import REPO, SUPERNET_CONFIG
from helpers.tools import load_module, run_tool, run_tool_in_process

SHAPE = (1, 3, 32, 32)
DEMO = f'{REPO}/configs/demo/spos_supernet_shufflenetv2_digits.py'
DEMO_MOBILENET = \
    f'{REPO}/configs/demo/spos_supernet_mobilenet_proxyless_gpu_digits.py'


def _space(space='shufflenet'):
    backbone, channels = dict(
        shufflenet=('mmrazor_lite.SearchableShuffleNetV2', 1024),
        mobilenet=('mmrazor_lite.SearchableMobileNetProxyless', 1728))[space]
    model = MODELS.build(
        dict(
            type='mmpretrain.ImageClassifier',
            backbone=dict(type=backbone, widen_factor=0.5),
            neck=dict(type='mmpretrain.GlobalAveragePooling'),
            head=dict(
                type='mmpretrain.LinearClsHead',
                num_classes=10,
                in_channels=channels)))
    mutator = OneShotMutator()
    mutator.prepare_from_supernet(model)
    return model, mutator


@pytest.fixture(scope='module')
def built(one_torch_thread):
    """A tiny ShuffleNetV2 space and its table, measured (few repeats)."""
    model, mutator = _space()
    table = build_latency_table(
        model,
        mutator,
        SHAPE,
        threads=1,
        repeats=2,
        fit_subnets=3,
        config='tiny')
    return model, mutator, table


def _paths(mutator, num=5, seed=0):
    rng = random.Random(seed)
    return [mutator.sample_choices(rng) for _ in range(num)]


def test_measured_table_covers_the_space_and_records_the_setting(built):
    model, mutator, table = built
    table.check_matches(mutator.choices, 'tiny')  # the space it timed
    assert list(table.entries_ms) == list(mutator.choices)
    for key, names in mutator.choices.items():
        assert list(table.entries_ms[key]) == names
        assert all(ms > 0 for ms in table.entries_ms[key].values())
    assert table.fixed_ms > 0 and table.scale > 0
    meta = table.meta
    assert (meta['batch'], meta['input_shape']) == (1, [3, 32, 32])
    assert meta['threads'] == 1 and meta['device'] == 'cpu'
    assert meta['clock'] == 'thread' and meta['config'] == 'tiny'
    assert meta['torch'] and meta['date'] and meta['device_name']
    fit = meta['correction_fit']
    assert len(fit['subnets']) == 3
    for row in fit['subnets']:  # the record is the table's own numbers
        assert row['predicted_ms'] == pytest.approx(
            table.latency_of(row['choices']), abs=1e-3)
        assert row['table_sum_ms'] == pytest.approx(
            table.table_sum(row['choices']), abs=1e-3)
        assert row['residual_pct'] == pytest.approx(
            100 * (row['predicted_ms'] - row['measured_ms']) /
            row['measured_ms'],
            abs=0.02)
    assert fit['max_abs_residual_pct'] == max(
        abs(r['residual_pct']) for r in fit['subnets'])
    assert model.training  # built in train mode: restored after timing


def test_latency_of_is_fixed_plus_entries_corrected(built):
    _, mutator, table = built
    for path in _paths(mutator):
        raw = table.fixed_ms + sum(table.entries_ms[k][path[k]] for k in path)
        assert table.latency_of(path) == pytest.approx(table.scale * raw +
                                                       table.offset_ms)
    small = LatencyTable({
        'a': {
            'x': 1.0,
            'y': 2.0
        },
        'b': {
            'x': 3.0,
            'y': 5.0
        }
    },
                         fixed_ms=10.0,
                         scale=2.0,
                         offset_ms=1.0)
    assert small.latency_of({'a': 'y', 'b': 'x'}) == 2.0 * (10 + 2 + 3) + 1
    with pytest.raises(KeyError, match="no choice for 'b'"):
        small.latency_of({'a': 'y'})
    with pytest.raises(KeyError, match="no entry 'z' for 'b'"):
        small.latency_of({'a': 'y', 'b': 'z'})


def test_min_max_are_the_cheapest_and_costliest_paths(built):
    _, mutator, table = built
    span = table.min_max()
    for key, entries in table.entries_ms.items():
        assert entries[span.cheapest[key]] == min(entries.values())
        assert entries[span.costliest[key]] == max(entries.values())
    assert span.low_ms == table.latency_of(span.cheapest)
    assert span.high_ms == table.latency_of(span.costliest)
    for path in _paths(mutator, 20):
        assert span.low_ms <= table.latency_of(path) <= span.high_ms
    assert f'{span.low_ms:.2f}-{span.high_ms:.2f} ms' in table.describe()


def test_save_load_round_trip(built, tmp_path):
    _, mutator, table = built
    path = str(tmp_path / 'table.json')
    table.save(path)
    loaded = LatencyTable.load(path)
    assert loaded.entries_ms == table.entries_ms
    assert (loaded.fixed_ms, loaded.scale, loaded.offset_ms) == \
        (table.fixed_ms, table.scale, table.offset_ms)
    assert loaded.meta == json.loads(json.dumps(table.meta))
    for choices in _paths(mutator):
        assert loaded.latency_of(choices) == table.latency_of(choices)
    assert path in loaded.describe()


def test_fit_correction_is_a_scale_through_the_origin():
    sums = [10.0, 12.0, 15.0, 20.0]
    assert fit_correction(sums, [1.3 * s for s in sums]) == \
        (pytest.approx(1.3), 0.0)
    measured = [12.0, 14.0, 16.0, 25.0]
    scale, offset = fit_correction(sums, measured)
    assert offset == 0.0
    assert scale == pytest.approx(
        sum(s * m for s, m in zip(sums, measured)) / sum(s * s for s in sums))

    def sse(k):  # least squares: nudging the scale either way fits worse
        return sum((k * s - m)**2 for s, m in zip(sums, measured))

    assert sse(scale) < min(sse(scale * 0.99), sse(scale * 1.01))


def test_fit_paths_spread_from_cheapest_to_costliest(built):
    _, _, table = built
    paths = spread_paths(table, 6, random.Random(0))
    span = table.min_max()
    sums = [table.table_sum(p) for p in paths]
    assert paths[0] != paths[-1]
    # the first path lies in the cheaper half, the last in the costlier
    middle = (table.table_sum(span.cheapest) +
              table.table_sum(span.costliest)) / 2
    assert sums[0] < middle < sums[-1]


def test_table_of_another_space_is_refused(built, tmp_path):
    _, _, table = built
    path = str(tmp_path / 'shufflenet.json')
    table.save(path)
    loaded = LatencyTable.load(path)
    _, mobilenet = _space('mobilenet')
    with pytest.raises(ValueError) as err:
        loaded.check_matches(mobilenet.choices, 'the mobilenet config')
    message = str(err.value)
    assert path in message and 'the mobilenet config' in message
    assert "'backbone.layer1.0'" in message  # a decision it lacks
    assert "'backbone.layers.0.0'" in message  # one the space lacks


def test_edited_choice_names_are_refused(built, tmp_path):
    _, mutator, table = built
    data = table.to_dict()
    entries = data['entries_ms']['backbone.layers.2.1']
    entries['shuffle_9x9'] = entries.pop('shuffle_7x7')
    path = tmp_path / 'edited.json'
    path.write_text(json.dumps(data))
    edited = LatencyTable.load(str(path))
    # the dict was a copy: the table it came from is as measured
    assert 'shuffle_9x9' not in table.entries_ms['backbone.layers.2.1']
    with pytest.raises(
            ValueError,
            match=r"no entries for the choices "
            r"\['shuffle_7x7'\] of 'backbone.layers.2.1'.*"
            r"choices \['shuffle_9x9'\] of 'backbone.layers.2.1'"
            r" that cfg.py does not offer") as err:
        edited.check_matches(mutator.choices, 'cfg.py')
    assert str(path) in str(err.value)


@pytest.mark.parametrize('edit,match', [
    (lambda d: d.pop('fixed_ms'), '"fixed_ms" is missing'),
    (lambda d: d['correction'].pop('scale'), '"correction.scale" is missing'),
    (lambda d: d['entries_ms']['backbone.layers.0.0'].update(
        shuffle_3x3='fast'), r'"entries_ms.backbone.layers.0.0.shuffle_3x3"'
     ' must be a number'),
    (lambda d: d.update(entries_ms=[]), '"entries_ms" must map'),
    (lambda d: d.update(format='resource table'), '"format" is'),
    (lambda d: d.update(version=7), '"version" is 7'),
])
def test_malformed_files_name_the_file_and_key(built, tmp_path, edit, match):
    data = copy.deepcopy(built[2].to_dict())
    edit(data)
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=match) as err:
        LatencyTable.load(str(path))
    assert f'latency table {path}' in str(err.value)


def test_missing_and_non_json_files(tmp_path):
    missing = str(tmp_path / 'nope.json')
    with pytest.raises(FileNotFoundError, match=f'{missing} does not exist'):
        LatencyTable.load(missing)
    broken = tmp_path / 'broken.json'
    broken.write_text('{"entries_ms": ')
    with pytest.raises(ValueError, match=f'{broken} is not valid JSON'):
        LatencyTable.load(str(broken))


def _resource(model, mutator):
    return ResourceTable(model, mutator, SHAPE)


def test_latency_budget_uses_the_table(built):
    model, mutator, table = built
    resources = _resource(model, mutator)
    span = table.min_max()
    bound = (span.low_ms + span.high_ms) / 2
    budget = ResourceBudget(latency_range=bound)
    assert budget.latency_range == (None, bound)
    assert budget.allows(resources, span.cheapest, table)
    assert not budget.allows(resources, span.costliest, table)
    # a table that under-states every block lets the costliest path in:
    # the check reads the table it is given, nothing else
    wrong = LatencyTable(
        {
            k: {
                n: ms * 0.3
                for n, ms in v.items()
            }
            for k, v in table.entries_ms.items()
        }, table.fixed_ms * 0.3, table.scale, table.offset_ms)
    assert wrong.latency_of(span.costliest) < bound
    assert budget.allows(resources, span.costliest, wrong)
    # a lower bound too
    at_least = ResourceBudget(latency_range=(bound, None))
    assert at_least.allows(resources, span.costliest, table)
    assert not at_least.allows(resources, span.cheapest, table)  # too fast
    # and FLOPs still count: the slowest path, in latency_range, is out by
    # its FLOPs alone
    both = ResourceBudget(
        flops_range=resources.flops_of(span.costliest) - 1,
        latency_range=(bound, None))
    assert not both.allows(resources, span.costliest, table)


def test_latency_range_without_table_is_an_error(built):
    model, mutator, table = built
    budget = ResourceBudget(latency_range=(None, 25))
    resources = _resource(model, mutator)
    for call in (lambda: budget.allows(resources, mutator.sample_choices()),
                 lambda: budget.check_feasible(resources)):
        with pytest.raises(
                ValueError, match='latency_range needs latency_table=FILE'):
            call()
    # no latency_range: the table is not needed, nor read
    assert ResourceBudget().allows(resources, mutator.sample_choices())


def test_infeasible_latency_range_fails_at_once(built):
    model, mutator, table = built
    resources = _resource(model, mutator)
    span = table.min_max()
    ResourceBudget(latency_range=span.low_ms).check_feasible(resources, table)
    ResourceBudget(latency_range=(span.high_ms,
                                  None)).check_feasible(resources, table)
    below = round(span.low_ms * 0.9, 3)
    message = (rf'latency_range=\(None, {below}\) cannot be met: latency '
               rf'table .* predicts the paths of this search space at '
               rf'{span.low_ms:.2f} to {span.high_ms:.2f} ms')
    with pytest.raises(SearchConstraintError, match=message):
        ResourceBudget(latency_range=below).check_feasible(resources, table)
    with pytest.raises(SearchConstraintError, match='latency_range'):
        ResourceBudget(latency_range=(span.high_ms * 1.1,
                                      None)).check_feasible(resources, table)


def test_build_latency_table_tool_writes_a_valid_file(tmp_path):
    out = tmp_path / 'demo_table.json'
    proc = run_tool([
        'python', 'tools/analysis_tools/build_latency_table.py', DEMO,
        '--shape', '32', '32', '--threads', '1', '--repeats', '2',
        '--fit-subnets', '3', '--out',
        str(out)
    ],
                    timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = LatencyTable.load(str(out))
    assert f'written in {table.meta["build_s"]} s to {out}' in proc.stdout
    assert table.meta['config'] == DEMO
    assert table.meta['input_shape'] == [3, 32, 32]
    assert len(table.meta['correction_fit']['subnets']) == 3
    tool = load_module('tools/analysis_tools/build_latency_table.py')
    from mmrazor_lite.apis import load_config
    _, mutator = tool.build_supernet(load_config(DEMO))
    table.check_matches(mutator.choices, DEMO)
    # a subnet config has nothing left to time
    bad = run_tool_in_process('tools/analysis_tools/build_latency_table.py', [
        SUPERNET_CONFIG.replace('supernet', 'subnet'), '--out',
        str(out) + '.2'
    ])
    assert bad.returncode == 1
    assert 'has no OneShotChoice: nothing to search' in bad.stderr
    assert not (tmp_path / 'demo_table.json.2').exists()


def test_accuracy_benchmark_runs(tmp_path):
    load_module('tools/benchmarks/benchmark_report.py')
    proc = run_tool_in_process('tools/benchmarks/latency_table_accuracy.py', [
        '--json', '--space', 'shufflenet', '--shape', '32', '32', '--subnets',
        '3', '--repeats', '2', '--eval-repeats', '2', '--fit-subnets', '3'
    ])
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    row = result['shufflenet']
    assert len(row['measured_ms']) == len(row['predicted_ms']) == 3
    errors = [
        abs(p - m) / m * 100
        for p, m in zip(row['predicted_ms'], row['measured_ms'])
    ]
    assert row['max_error_pct'] == pytest.approx(max(errors), abs=0.01)
    assert row['mae_pct'] == pytest.approx(sum(errors) / 3, abs=0.01)
    assert -1 <= row['spearman'] <= 1
