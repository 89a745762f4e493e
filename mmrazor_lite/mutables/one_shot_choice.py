"""A one-shot choice: several candidate ops, exactly one of them active."""
import copy
import re
from typing import Dict, List, Optional, Tuple, Union

import torch.nn as nn

from mmrazor_lite.registry import MODELS, build_model


#: a state-dict key inside a candidate: ``<path>._candidates.<name>.<rest>``
_CANDIDATE_KEY = re.compile(r'^(?P<path>.+)\._candidates\.(?P<name>[^.]+)\.'
                            r'(?P<rest>.+)$')


def split_candidate_key(key: str) -> Optional[Tuple[str, str, str]]:
    """``(mutable path, candidate name, key inside the op)``, or None.

    ``backbone.layers.0.0._candidates.shuffle_7x7.branch2.0.conv.weight``
    -> ``('backbone.layers.0.0', 'shuffle_7x7', 'branch2.0.conv.weight')``.
    """
    match = _CANDIDATE_KEY.match(key)
    return None if match is None else match.group('path', 'name', 'rest')


@MODELS.register_module()
class OneShotChoice(nn.Module):
    """Holds named candidate ops and runs the one that is chosen.

    Candidates live in ``self._candidates`` (an ``nn.ModuleDict``), so keys
    read ``<path>._candidates.<name>.<op keys>`` as in MMRazor.

    Args:
        candidates (dict): ``name -> op config (dict) or nn.Module``.
        common_kwargs (dict, optional): merged into every candidate config
            (channels, stride): the op configs name only what differs.
        alias (str, optional): mutables with the same alias are one decision;
            the mutator gives them the same choice.
        init_choice (str, optional): the first active candidate (default: the
            first one).
    """

    def __init__(self,
                 candidates: Dict[str, Union[dict, nn.Module]],
                 common_kwargs: Optional[dict] = None,
                 alias: Optional[str] = None,
                 init_choice: Optional[str] = None):
        super().__init__()
        if not candidates:
            raise ValueError('OneShotChoice needs at least one candidate')
        ops = nn.ModuleDict()
        for name, op in candidates.items():
            if isinstance(op, dict):
                cfg = copy.deepcopy(op)
                cfg.update(common_kwargs or {})
                op = build_model(cfg)
            elif not isinstance(op, nn.Module):
                raise TypeError(f'candidate {name!r} must be a config dict or '
                                f'an nn.Module, got {type(op).__name__}')
            ops[name] = op
        self._candidates = ops
        self.alias = alias
        self.is_fixed = False
        self._current = None
        self.current_choice = init_choice or self.choices[0]

    @property
    def choices(self) -> List[str]:
        """Names of the candidates still held, in definition order."""
        return list(self._candidates.keys())

    def candidate(self, name: str) -> nn.Module:
        """The op of candidate ``name``."""
        self._check(name)
        return self._candidates[name]

    @staticmethod
    def candidate_key_prefix(name: str) -> str:
        """Prefix of candidate ``name``'s keys in this module's state dict."""
        return f'_candidates.{name}.'

    def _check(self, name: str) -> None:
        if name not in self._candidates:
            raise ValueError(f'unknown choice {name!r}; valid choices are '
                             f'{self.choices}')

    @property
    def current_choice(self) -> str:
        return self._current

    @current_choice.setter
    def current_choice(self, name: str) -> None:
        if self.is_fixed and name != self._current:
            raise RuntimeError(f'this choice is fixed to {self._current!r}; '
                               f'it cannot become {name!r}')
        self._check(name)
        self._current = name

    @property
    def chosen_op(self) -> nn.Module:
        return self._candidates[self._current]

    def fix(self, name: str) -> None:
        """Keep only candidate ``name``; the others (and their weights) go."""
        self._check(name)
        for other in self.choices:
            if other != name:
                del self._candidates[other]
        self._current = name
        self.is_fixed = True

    def forward(self, *args, **kwargs):
        return self._candidates[self._current](*args, **kwargs)

    def extra_repr(self) -> str:
        fixed = ', fixed' if self.is_fixed else ''
        alias = f', alias={self.alias!r}' if self.alias else ''
        return f'current={self._current!r}{alias}{fixed}'
