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
)
