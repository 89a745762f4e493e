# Runtime shared by every mmrazor_lite config.
default_scope = 'mmrazor_lite'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # NCCL on GPUs; tools/train.py switches to gloo where CUDA is absent.
    dist_cfg=dict(backend='nccl'),
)

# DDP wrapper that runs on CPU too and lets a supernet declare its unused
# parameters (no find_unused_parameters flag needed).
model_wrapper_cfg = dict(type='NASDistributedDataParallel')

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
