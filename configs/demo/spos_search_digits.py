# SPOS stage 2 on scikit-learn's digits: evolution search of the demo
# supernet (tools/demo.py runs it with load_from=<stage-1 checkpoint>).
# The ImageNet search, shrunk: small population, few generations. The
# architecture is the ShuffleNetV2 demo supernet's; tools/demo.py --space
# mobilenet swaps in spos_supernet_mobilenet_proxyless_gpu_digits.py's.
_base_ = ['./spos_supernet_shufflenetv2_digits.py']

train_cfg = dict(
    _delete_=True,
    type='EvolutionSearchLoop',
    # Data: the stage-1 config's. Paths are scored on val_dataloader (the
    # val split; the test split stays unseen until stage 4) and BN is
    # re-estimated on train_dataloader's images: train_cfg.dataloader and
    # calibrate_dataloader follow them (mmrazor_lite/apis/loop_dataloaders.py)
    evaluator=dict(type='Accuracy', topk=(1, 5)),
    calibrate_samples=256,
    max_epochs=4,
    num_candidates=16,
    top_k=4,
    num_mutation=8,
    num_crossover=8,
    mutate_prob=0.2,
    # ShuffleNetV2 paths cost 0.99-1.32 MFLOPs here (fvcore, 32x32): a
    # budget that rules out the costliest ones, as 330 M does on ImageNet
    flops_range=(None, 1.2e6),
    flops_convention='fvcore',
    input_shape=(1, 3, 32, 32),
    score_key='accuracy/top1',
    seed=0,
)
# A search takes no optimizer step: not the supernet's SGD with
# paramwise_cfg (the loop gives the Runner one over no parameters anyway)
optim_wrapper = dict(_delete_=True, optimizer=dict(type='SGD', lr=0.0))
param_scheduler = []
val_cfg = None  # no validation: val_dataloader is the search split
val_evaluator = None
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=-1))
