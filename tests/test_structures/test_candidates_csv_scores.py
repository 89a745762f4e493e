"""search_candidates.csv writes a float32 score as a person reads it
(``75.3``, not ``75.30000305175781``) and exactly as it reads back (issue
23, defect 6a)."""
import csv

import numpy

from mmrazor_lite.structures.search_result import (score_text,
                                                   write_candidates_table)

#: mmpretrain's accuracies are float32 values, widened to Python floats
FLOAT32 = [float(numpy.float32(x)) for x in (75.3, 12.5, 99.21875, 1 / 3)]


def test_a_float32_score_is_its_shortest_decimal():
    assert FLOAT32[0] == 75.30000305175781
    assert [score_text(s) for s in FLOAT32] == \
        ['75.3', '12.5', '99.21875', '0.33333334']
    assert score_text(100.0) == '100.0' and score_text(0) == '0.0'
    for score in FLOAT32:  # the float32 score, exactly
        assert numpy.float32(score_text(score)) == numpy.float32(score)
        assert float(numpy.float32(score_text(score))) == score


def test_a_score_no_float32_holds_is_written_exactly():
    for score in (200 / 3, 0.1, 1e-8, 123456789.125):
        assert float(score_text(score)) == score
    assert score_text(200 / 3) == '66.66666666666667'
    assert score_text(float('nan')) == 'nan'


def test_the_table_keeps_its_columns_and_reads_back(tmp_path):
    rows = [(1, s, (100 * i, 10 * i), ('a', 'b'))
            for i, s in enumerate(FLOAT32 + [200 / 3], 1)]
    write_candidates_table(str(tmp_path), 'accuracy/top1', ['d0', 'd1'], rows)
    with open(tmp_path / 'search_candidates.csv', newline='') as f:
        lines = f.read().splitlines()
    assert lines[0] == 'candidate,generation,accuracy/top1,flops,params,d0,d1'
    assert lines[1] == '1,1,75.3,100,10,a,b'
    with open(tmp_path / 'search_candidates.csv', newline='') as f:
        read = [r['accuracy/top1'] for r in csv.DictReader(f)]
    assert read == [
        '75.3', '12.5', '99.21875', '0.33333334', '66.66666666666667'
    ]
    for text, (_, score, _, _) in zip(read, rows):
        exact = numpy.float32(text) == numpy.float32(score) \
            if float(numpy.float32(score)) == score else float(text) == score
        assert exact, (text, score)
