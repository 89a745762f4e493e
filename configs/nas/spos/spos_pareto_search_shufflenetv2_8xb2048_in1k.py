# SPOS stage 2 for every budget at once: an NSGA-II search of the trained
# ShuffleNetV2 supernet over (ImageNet val top-1: maximise, FLOPs:
# minimise).
#   ./tools/dist_train.sh THIS_CONFIG 8 --work-dir DIR \
#       --cfg-options load_from=SUPERNET_CKPT
# Writes pareto_front.yaml (+ pareto_front_bn.pth), search_pareto.png and,
# for the best-scoring front member, best_fix_subnet.yaml and
# best_subnet_weights.pth (the subnet config's model.init_cfg.checkpoint).
# Another budget's subnet, without searching again:
#   python tools/analysis_tools/pick_subnet.py DIR/pareto_front.yaml \
#       --flops-max 330e6 --out-dir DIR/pick_330m
_base_ = ['./spos_evolution_search_shufflenetv2_8xb2048_in1k.py']

train_cfg = dict(
    type='ParetoSearchLoop',
    objective='flops',
    # no budget: the front covers the space (pick_subnet.py takes one)
    flops_range=None,
    # NSGA-II keeps half of the 50 scored per generation (whole fronts,
    # the last one by crowding distance) and breeds 50 from them
    top_k=25,
)
