# SPOS stage 2 on the MobileNet ProxylessNAS-GPU space for every budget at
# once: an NSGA-II search over (ImageNet val top-1: maximise, FLOPs:
# minimise).
#   ./tools/dist_train.sh THIS_CONFIG 8 --work-dir DIR \
#       --cfg-options load_from=SUPERNET_CKPT
# Writes pareto_front.yaml (+ pareto_front_bn.pth), search_pareto.png and
# the best-scoring member's best_fix_subnet.yaml / best_subnet_weights.pth.
# With a latency table (tools/analysis_tools/build_latency_table.py), the
# cost can be the predicted latency instead:
#   --cfg-options train_cfg.objective=latency train_cfg.latency_table=T.json
# A subnet for a budget, without searching again:
#   python tools/analysis_tools/pick_subnet.py DIR/pareto_front.yaml \
#       --flops-max 465e6 --out-dir DIR/pick_465m
_base_ = [
    './spos_evolution_search_mobilenet_proxyless_gpu_flops465_8xb512_in1k.py'
]  # noqa: E501

train_cfg = dict(
    type='ParetoSearchLoop',
    objective='flops',
    # no budget: the front covers the space (pick_subnet.py takes one)
    flops_range=None,
    top_k=25,
)
