"""search_candidates.csv / search_top_k.txt carry a latency column exactly
when the search predicts latency."""
import csv

from mmrazor_lite.engine.runner.base_search_loop import Costs
from mmrazor_lite.engine.search.records import SearchRecords

A, B = ('x', 'y'), ('y', 'y')


def _records(tmp_path, latency):
    costs = {
        A: Costs(100, 10, 1.5 if latency else None),
        B: Costs(300, 30, 4.25 if latency else None)
    }
    return SearchRecords(str(tmp_path), 'acc', ['d0', 'd1'], costs.__getitem__)


def _rows(tmp_path):
    with open(tmp_path / 'search_candidates.csv') as f:
        return list(csv.DictReader(f))


def test_latency_column_when_predicted(tmp_path):
    records = _records(tmp_path, latency=True)
    scores = {A: 50.0, B: 70.0}
    records.scored(A, 1, {A: 50.0})
    records.scored(B, 1, scores)
    rows = _rows(tmp_path)
    assert [float(r['latency_ms']) for r in rows] == [1.5, 4.25]
    assert [r['flops'] for r in rows] == ['100', '300']
    assert [r['d0'] for r in rows] == ['x', 'y']
    records.write_top_k('generation 1/1', [B, A], scores)
    lines = (tmp_path / 'search_top_k.txt').read_text().splitlines()
    assert 'latency ms' in lines[1]
    assert lines[2].split()[:5] == ['1', '70.0000', '300', '30', '4.250']


def test_no_latency_column_without_a_table(tmp_path):
    records = _records(tmp_path, latency=False)
    records.scored(A, 2, {A: 50.0})
    rows = _rows(tmp_path)
    assert 'latency_ms' not in rows[0]
    assert rows[0]['generation'] == '2' and rows[0]['d1'] == 'y'
    records.write_top_k('t', [A], {A: 50.0})
    lines = (tmp_path / 'search_top_k.txt').read_text().splitlines()
    assert 'latency' not in lines[1]
    assert lines[2].split() == ['1', '50.0000', '100', '10', 'x', 'y']


def test_a_work_dir_with_only_an_earlier_searchs_records_is_claimed(tmp_path):
    """A fresh search refuses (or, told to overwrite, deletes) an earlier
    search's candidates table and picture too: they would stand beside the
    new search's files until it ends."""
    import pytest

    from mmrazor_lite.engine.search.state import _old_search_files
    for name in ('search_candidates.csv', 'search_pareto.png'):
        (tmp_path / name).write_text('old')
    with pytest.raises(
            FileExistsError, match='search_candidates.csv, '
            'search_pareto.png'):
        _old_search_files(str(tmp_path), None, None, overwrite=False)
    assert sorted(_old_search_files(str(tmp_path), None, None,
                                    overwrite=True)) == \
        [str(tmp_path / 'search_candidates.csv'),
         str(tmp_path / 'search_pareto.png')]
