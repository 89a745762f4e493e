"""What a search's settings record holds: arguments added later stay out
while unset (older states still resume), a latency table by content."""
from mmengine.config import Config

from mmrazor_lite.engine.search.settings import search_settings

CFG = Config(
    dict(
        model=dict(type='SPOS'),
        data_preprocessor=None,
        train_dataloader=dict(batch_size=4)))
BUDGET = dict(flops_range=[None, 100], params_range=None)
#: the loop arguments of a search from before latency and predictors
OLD_ARGS = dict(
    max_epochs=2,
    num_candidates=4,
    top_k=2,
    seed=0,
    flops_range=100,
    dataloader=dict(batch_size=8))


def test_unset_new_arguments_leave_the_record_as_before():
    now = dict(
        OLD_ARGS, latency_range=None, latency_table=None, predictor=None)
    assert search_settings(now, CFG, BUDGET) == \
        search_settings(OLD_ARGS, CFG, BUDGET)


def test_set_arguments_are_recorded_and_a_latency_table_by_content(tmp_path):
    table = tmp_path / 'table.json'
    table.write_text('{"a": 1}')
    args = dict(
        OLD_ARGS,
        latency_range=[None, 20.0],
        latency_table=str(table),
        predictor=dict(type='GP'))
    first = search_settings(args, CFG, BUDGET)
    assert first['train_cfg.latency_range'] == [None, 20.0]
    assert first['train_cfg.predictor'] == dict(type='GP')
    assert first['train_cfg.latency_table'] == str(table)
    table.write_text('{"a": 2}')  # re-timed: another budget, same path
    second = search_settings(args, CFG, BUDGET)
    key = 'train_cfg.latency_table (sha256)'
    assert first[key] != second[key]
    assert {k: v for k, v in first.items() if k != key} == \
        {k: v for k, v in second.items() if k != key}
