# SPOS stage 2 on scikit-learn's digits, for every budget at once: an
# NSGA-II search of the demo supernet over (val top-1: maximise, FLOPs:
# minimise). tools/demo.py --search pareto runs it with
# load_from=<stage-1 checkpoint>, then picks a subnet for its budget from
# pareto_front.yaml (tools/analysis_tools/pick_subnet.py). Data, scoring
# and the other loop settings are the single-budget search's.
_base_ = ['./spos_search_digits.py']

train_cfg = dict(
    type='ParetoSearchLoop',
    objective='flops',
    # no budget: the front spans the space's FLOPs (0.99-1.32 M here); a
    # subnet for a budget is picked from it afterwards
    flops_range=None,
    # NSGA-II keeps about half of what it scores each generation (the
    # front and its neighbours), where the single search keeps its top 4
    top_k=8,
    # one front for every budget takes more generations than one budget's
    # best (8 x 16 = 128 paths scored; 3 single searches: 172); a mutant
    # redraws ~2 of its 5 blocks, as the ImageNet search (0.1 x 20 blocks)
    # does: 0.2 (1 block) left the front's middle thin (docs/benchmarks.md)
    max_epochs=8,
    mutate_prob=0.4,
)
