# SPOS stage 2 on ImageNet: the evolution search loop and its data, shared
# by the search configs of every space (they add the model and the budget).
_base_ = ['../datasets/imagenet_bs128_spos.py']

# The search split, scored per candidate: ImageNet val, as MMRazor searches
# (the official code holds out 50k train images instead: point
# dataset.ann_file at such a list). Set here rather than following
# val_dataloader, which a search without validation has not.
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

train_cfg = dict(
    type='EvolutionSearchLoop',
    dataloader=search_dataloader,
    evaluator=dict(type='Accuracy', topk=(1, 5)),
    # BN statistics are re-estimated per candidate on the same 4096 training
    # images (train augmentation, seeded per image), in batches of 128:
    # train_dataloader's (calibrate_dataloader follows it, see
    # mmrazor_lite/apis/loop_dataloaders.py), 16 loading workers
    calibrate_dataloader=dict(num_workers=16, persistent_workers=False),
    calibrate_samples=4096,
    max_epochs=20,  # generations
    num_candidates=50,  # population
    top_k=10,
    num_mutation=25,
    num_crossover=25,
    mutate_prob=0.1,
    max_tries_factor=10,
    flops_range=None,  # set by each search config: (min, max) or max
    flops_convention='fvcore',
    params_range=None,
    input_shape=(1, 3, 224, 224),
    score_key='accuracy/top1',
    seed=None,  # drawn on rank 0 and broadcast; set to repeat
    # keep the search and calibration batches on the GPU, normalised:
    # ~600 KB per image and GPU (3.8 GB for ImageNet val on 8 GPUs); True
    # keeps them as uint8 (1/4 of that) and normalises per candidate
    cache_data='preprocessed',
    device_accuracy=True,  # count top-k on the GPU: Accuracy's numbers
)

# A search takes no optimizer step. mmengine's Runner wants an
# optim_wrapper in the config; the search loop hands it one over no
# parameters instead, so none is built from this.
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.0))
param_scheduler = []
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
