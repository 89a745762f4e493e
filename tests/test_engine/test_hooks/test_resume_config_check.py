"""ResumeConfigCheckHook: --resume of a checkpoint saved with another config
warns, naming each differing key (a tiny SPOS supernet on the digits)."""
from helpers.search_pipeline import run, run_logged, tiny_config

DIFFERS = 'was saved by a run whose config differs from this one'


def test_training_resume_names_what_changed(tmp_path):
    run(tiny_config(tmp_path))  # 5 iterations, iter_5.pth

    cfg = tiny_config(tmp_path)
    cfg.resume = True  # as build_config(resume='auto') sets it
    _, log = run_logged(cfg)
    assert 'resumed epoch: 0, iter: 5' in log
    assert DIFFERS not in log  # the same config: nothing to say

    # load_from (not a resume) may start from another config's weights
    cfg = tiny_config(
        tmp_path / 'other', load_from=str(tmp_path / 'iter_5.pth'))
    cfg.optim_wrapper.optimizer.lr = 0.1
    _, log = run_logged(cfg)
    assert 'Load checkpoint from' in log and DIFFERS not in log

    cfg = tiny_config(tmp_path)
    cfg.resume = True
    cfg.model.architecture.head.loss.label_smooth_val = 0.2
    cfg.optim_wrapper.optimizer.lr = 0.1
    cfg.train_cfg.max_iters = 6
    cfg.train_dataloader.batch_size = 32
    _, log = run_logged(cfg)
    assert DIFFERS in log
    for line in ('model.architecture.head.loss.label_smooth_val: saved 0.1, '
                 'now 0.2', 'optim_wrapper.optimizer.lr: saved 0.05, now 0.1',
                 'train_cfg.max_iters: saved 5, now 6',
                 'train_dataloader.batch_size: saved 64, now 32'):
        assert line in log
    assert 'param_scheduler' not in log  # unchanged keys are not listed
