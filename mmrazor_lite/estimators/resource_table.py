"""Per-(decision, choice) FLOPs and params, built once from a supernet.

A block's cost depends only on its position and its choice, so the cost of
any path is the fixed part (stem, last conv, head) plus one table entry per
decision: checking a candidate against a budget is a sum of ~20 numbers, no
slicing, copying or tracing of the model.
"""
from collections import OrderedDict
from typing import Dict, Mapping, Sequence

import torch.nn as nn

from .flops_counter import count_flops_by_module, count_params


class ResourceTable:
    """FLOPs / params of every candidate of every decision of a supernet.

    Args:
        model (nn.Module): the supernet (e.g. the SPOS ``architecture``).
        mutator: a prepared :class:`OneShotMutator` of ``model``.
        input_shape: traced input, default ``(1, 3, 224, 224)``.
        convention (str): see :mod:`mmrazor_lite.estimators.flops_counter`.
    """

    def __init__(self,
                 model: nn.Module,
                 mutator,
                 input_shape: Sequence[int] = (1, 3, 224, 224),
                 convention: str = 'fvcore'):
        self.input_shape = tuple(input_shape)
        self.convention = convention
        self.flops: Dict[str, Dict[str, int]] = OrderedDict()
        self.params: Dict[str, Dict[str, int]] = OrderedDict()
        self._build(model, mutator)

    def _build(self, model, mutator):
        groups = mutator.search_groups
        saved = mutator.current_choices()
        choices = mutator.choices
        for key in groups:
            self.flops[key] = OrderedDict()
            self.params[key] = OrderedDict(
                (name,
                 sum(count_params(m.candidate(name)) for _, m in groups[key]))
                for name in choices[key])
        # one trace per candidate index sets every decision at once
        fixed_flops = None
        for i in range(max(len(v) for v in choices.values())):
            path = {
                k: names[min(i,
                             len(names) - 1)]
                for k, names in choices.items()
            }
            mutator.set_choices(path)
            by_module = count_flops_by_module(model, self.input_shape,
                                              self.convention)
            searched = 0
            for key, members in groups.items():
                cost = sum(by_module.get(p, 0) for p, _ in members)
                self.flops[key][path[key]] = cost
                searched += cost
            fixed = by_module[''] - searched
            if fixed_flops is not None and fixed != fixed_flops:
                raise RuntimeError(
                    'the cost outside the searched blocks changed with the '
                    'choices: FLOPs are not additive per block in this model')
            fixed_flops = fixed
        mutator.set_choices(saved)
        self.fixed_flops = fixed_flops
        all_candidates = sum(
            count_params(m) for members in groups.values() for _, m in members)
        self.fixed_params = count_params(model) - all_candidates

    def _lookup(self, table, fixed, choices: Mapping[str, str]) -> int:
        total = fixed
        for key, entries in table.items():
            if key not in choices:
                raise KeyError(f'no choice for {key!r} in the candidate')
            total += entries[choices[key]]
        return total

    def flops_of(self, choices: Mapping[str, str]) -> int:
        """FLOPs of the path ``choices`` (decision key -> name)."""
        return self._lookup(self.flops, self.fixed_flops, choices)

    def params_of(self, choices: Mapping[str, str]) -> int:
        return self._lookup(self.params, self.fixed_params, choices)

    def largest(self) -> 'OrderedDict[str, str]':
        """The path with the most FLOPs (ties broken by params)."""
        return OrderedDict(
            (key,
             max(entries, key=lambda n: (entries[n], self.params[key][n])))
            for key, entries in self.flops.items())
