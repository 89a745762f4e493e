"""An evolution search under a latency budget: every candidate it scores
lies within ``latency_range`` by the table, and a table that does not fit
the space is refused before anything is scored."""
import csv
import os.path as osp

import pytest

from mmrazor_lite.estimators.latency_table import LatencyTable
from helpers.search_pipeline import run, tiny_config


@pytest.fixture(scope='module')
def choices(tmp_path_factory, supernet_ckpt):
    from mmrazor_lite.apis import build_runner
    cfg = tiny_config(
        tmp_path_factory.mktemp('probe'), search={}, load_from=supernet_ckpt)
    return dict(build_runner(cfg).train_loop.mutator.choices)


def made_up_table(choices, path):
    """Choice i of decision j costs (i + j) % n ms: not the FLOPs order."""
    entries = {
        key: {
            name: float((i + j) % len(names))
            for i, name in enumerate(names)
        }
        for j, (key, names) in enumerate(choices.items())
    }
    table = LatencyTable(entries, fixed_ms=2.0, scale=1.5)
    table.save(str(path))
    return LatencyTable.load(str(path))


def test_every_scored_candidate_is_within_the_latency_range(
        tmp_path, supernet_ckpt, choices):
    table = made_up_table(choices, tmp_path / 'table.json')
    span = table.min_max()
    bound = (span.low_ms + span.high_ms) / 2  # rules out half the space
    work = tmp_path / 'search'
    loop = run(
        tiny_config(
            work,
            load_from=supernet_ckpt,
            search=dict(
                latency_range=(None, bound),
                latency_table=str(tmp_path / 'table.json')))).train_loop
    with open(work / 'search_candidates.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(loop.scores) > 0
    for row in rows:
        path = {key: row[key] for key in choices}
        assert float(row['latency_ms']) == pytest.approx(
            table.latency_of(path), abs=1e-9)
        assert table.latency_of(path) <= bound
    top_k = (work / 'search_top_k.txt').read_text()
    assert 'latency ms' in top_k


def test_a_table_of_another_space_is_refused(tmp_path, supernet_ckpt, choices):
    renamed = {
        key: [n.replace('shuffle_', 'mb_') for n in names]
        for key, names in choices.items()
    }
    made_up_table(renamed, tmp_path / 'other.json')
    with pytest.raises(ValueError, match=r'other\.json'):
        run(
            tiny_config(
                tmp_path / 'search',
                load_from=supernet_ckpt,
                search=dict(
                    latency_range=(None, 100.0),
                    latency_table=str(tmp_path / 'other.json'))))
    assert not osp.exists(tmp_path / 'search' / 'search_candidates.csv')


def test_latency_range_without_a_table_is_refused(tmp_path, supernet_ckpt):
    with pytest.raises(
            ValueError, match='latency_range needs '
            'latency_table=FILE'):
        run(
            tiny_config(
                tmp_path,
                load_from=supernet_ckpt,
                search=dict(latency_range=(None, 100.0))))


def test_a_latency_range_no_path_meets_fails_at_once(tmp_path, supernet_ckpt,
                                                     choices):
    from mmrazor_lite.estimators import SearchConstraintError
    table = made_up_table(choices, tmp_path / 'table.json')
    with pytest.raises(SearchConstraintError, match='latency_range'):
        run(
            tiny_config(
                tmp_path / 'search',
                load_from=supernet_ckpt,
                search=dict(
                    latency_range=(None, table.min_max().low_ms / 2),
                    latency_table=str(tmp_path / 'table.json'))))
