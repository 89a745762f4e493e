# SPOS stage 2: evolutionary search of the trained ShuffleNetV2 supernet.
#   ./tools/dist_train.sh THIS_CONFIG 8 --work-dir DIR \
#       --cfg-options load_from=SUPERNET_CKPT
# Writes best_fix_subnet.yaml, best_subnet_weights.pth (the subnet config's
# model.init_cfg.checkpoint), search_epoch_N.pth and search_top_k.txt.
_base_ = ['./spos_supernet_shufflenetv2_8xb128_in1k.py']

# The search split, scored per candidate: ImageNet val, as MMRazor searches
# (the official code holds out 50k train images instead: point
# dataset.ann_file at such a list). 2048 images per GPU per batch.
search_dataloader = dict(
    batch_size=2048,
    num_workers=16,
    persistent_workers=True,
    dataset=dict(
        type={{_base_.dataset_type}},
        data_root={{_base_.data_root}},
        split='val',
        pipeline={{_base_.test_pipeline}}),
    sampler=dict(type='DefaultSampler', shuffle=False),
)

# BN statistics are re-estimated per candidate on the same 4096 training
# images (train augmentation, seeded per image), 128 per batch.
calibrate_dataloader = dict(
    batch_size=128,
    num_workers=16,
    persistent_workers=False,
    dataset=dict(
        type={{_base_.dataset_type}},
        data_root={{_base_.data_root}},
        split='train',
        pipeline={{_base_.train_pipeline}}),
    sampler=dict(type='DefaultSampler', shuffle=False),
)

train_cfg = dict(
    _delete_=True,
    type='EvolutionSearchLoop',
    dataloader=search_dataloader,
    evaluator=dict(type='Accuracy', topk=(1, 5)),
    calibrate_dataloader=calibrate_dataloader,
    calibrate_samples=4096,
    max_epochs=20,          # generations
    num_candidates=50,      # population
    top_k=10,
    num_mutation=25,
    num_crossover=25,
    mutate_prob=0.1,
    max_tries_factor=10,
    # FLOPs budget 330 M multiply-adds in the official SPOS convention:
    # conv + linear only, 224x224 (the paper subnet counts 322.9 M so).
    flops_range=(None, 330e6),
    flops_convention='conv_linear',
    params_range=None,
    input_shape=(1, 3, 224, 224),
    score_key='accuracy/top1',
    seed=None,              # drawn on rank 0 and broadcast; set to repeat
)
# a search has no optimizer steps or schedule
param_scheduler = []
val_cfg = None
val_dataloader = None
val_evaluator = None
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=-1))
