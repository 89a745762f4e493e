"""mydown's ``tools/train.py`` in small, then a stand-in for our search.

``python train_supernet.py CONFIG WORK_DIR`` trains CONFIG with mmengine's
Runner (as every OpenMMLab repo's train tool does), then writes what our
evolution search would leave in WORK_DIR for one sampled subnet, through
the search's own writer: ``best_fix_subnet.yaml`` and
``best_subnet_weights.pth``. Prints one json line of what it did.
"""
import json
import random
import sys

from mmengine.config import Config
from mmengine.runner import Runner


def main(config, work_dir):
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    runner = Runner.from_cfg(cfg)
    runner.train()

    from mmrazor_lite.structures import write_search_result
    from mmrazor_lite.subnet import sliced_state_dict
    spos = runner.model
    subnet = spos.mutator.sample_choices(random.Random(1))
    spos.mutator.set_choices(subnet)
    write_search_result(
        work_dir,
        spos.mutator.current_subnet(),
        sliced_state_dict(spos, spos.mutator.mutables),
        meta=dict(score=0.0, score_key='accuracy/top1'))
    print(
        json.dumps(
            dict(
                model=type(spos).__name__,
                architecture=type(spos.architecture).__name__,
                iters=runner.iter,
                scope=runner.default_scope.scope_name,
                checkpoint_hook=type(
                    next(
                        h for h in runner.hooks if type(h).__name__.endswith(
                            'CheckpointHook'))).__module__,
                subnet=spos.mutator.current_subnet())))


if __name__ == '__main__':
    main(*sys.argv[1:])
