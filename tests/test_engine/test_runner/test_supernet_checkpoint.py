"""A search never scores weights that are not the supernet's (issue 23,
defect 2).

mmengine loads ``load_from`` with ``strict=False``: a checkpoint that does
not cover the supernet only logged "missing keys", and the search ranked
the paths of randomly initialised weights with exit 0. Now the search
refuses it, naming the file and the keys, before anything is scored or
written; on 1 and 2 processes alike.
"""
import pytest
import torch

from mmrazor_lite.apis import build_config, build_runner
from mmrazor_lite.fileio import CheckpointError
from mmrazor_lite.registry import build_model
from helpers.paths import REPO
from helpers.search_pipeline import run, tiny_config
from helpers.tools import train_on_two_ranks


def _nothing_written(work_dir) -> bool:
    names = ('best_fix_subnet.yaml', 'best_subnet_weights.pth',
             'search_candidates.csv', 'search_top_k.txt')
    return not list(work_dir.glob('search_epoch_*.pth')) and \
        not any((work_dir / name).exists() for name in names)


@pytest.fixture(scope='module')
def misfit_checkpoints(tmp_path_factory):
    """An empty state dict, and the supernet of another widen factor."""
    folder = tmp_path_factory.mktemp('misfits')
    empty = folder / 'empty.pth'
    torch.save({'state_dict': {}, 'meta': {}}, empty)
    cfg = tiny_config(folder / 'unused')
    cfg.model.architecture.backbone.widen_factor = 0.5
    cfg.model.architecture.backbone.last_channels = 64
    wider = folder / 'widen_0.5.pth'
    torch.save({
        'state_dict': build_model(cfg.model).state_dict(),
        'meta': {}
    }, wider)
    return dict(empty=str(empty), wider=str(wider))


@pytest.mark.parametrize('kind, expected', [
    ('empty', 'missing'),
    ('wider', 'shape (checkpoint vs model)'),
])
@pytest.mark.parametrize('loop', ['EvolutionSearchLoop', 'ParetoSearchLoop'])
def test_a_search_refuses_a_checkpoint_that_is_not_its_supernet(
        tmp_path, misfit_checkpoints, kind, expected, loop):
    checkpoint = misfit_checkpoints[kind]
    cfg = tiny_config(tmp_path, search=dict(type=loop), load_from=checkpoint)
    with pytest.raises(CheckpointError) as err:
        run(cfg)
    message = str(err.value)
    assert checkpoint in message and expected in message, message
    assert f'to search ({loop}, load_from)' in message
    assert _nothing_written(tmp_path)


def test_the_supernet_itself_is_accepted(tmp_path, supernet_ckpt):
    """The same check lets the supernet's own checkpoint through."""
    cfg = tiny_config(
        tmp_path,
        search=dict(
            max_epochs=1,
            num_candidates=2,
            top_k=1,
            num_mutation=1,
            num_crossover=1),
        load_from=supernet_ckpt)
    run(cfg)
    assert (tmp_path / 'best_fix_subnet.yaml').exists()


def test_two_processes_refuse_it_on_every_rank(tmp_path, misfit_checkpoints):
    config = tmp_path / 'misfit_search.py'
    tiny_config(
        tmp_path, search={},
        load_from=misfit_checkpoints['wider']).dump(str(config))
    for returncode, output in train_on_two_ranks(config, tmp_path, 150):
        assert returncode != 0, output[-3000:]
        assert 'its weights do not fit the model' in output, output[-3000:]
        assert misfit_checkpoints['wider'] in output
    assert _nothing_written(tmp_path)


def test_the_darts_search_refuses_a_misfit_load_from(tmp_path,
                                                     misfit_checkpoints):
    cfg = build_config(f'{REPO}/configs/demo/pcdarts_search_digits.py',
                       str(tmp_path))
    cfg.load_from = misfit_checkpoints['empty']
    runner = build_runner(cfg)
    with pytest.raises(CheckpointError) as err:
        runner.train()
    assert 'to search (DartsTrainLoop, load_from)' in str(err.value)
    assert not list(tmp_path.glob('genotype_epoch_*.yaml'))
