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
    """Split a candidate's state-dict key into its three parts.

    For example, the key
    ``backbone.layers.0.0._candidates.shuffle_7x7.branch2.0.conv.weight``
    gives the parts
    ``('backbone.layers.0.0', 'shuffle_7x7', 'branch2.0.conv.weight')``.

    Args:
        key (str): A state-dict key.

    Returns:
        Tuple[str, str, str] | None: ``(mutable path, candidate name, key
        inside the op)``, or None when ``key`` is not inside a candidate.
    """
    match = _CANDIDATE_KEY.match(key)
    return None if match is None else match.group('path', 'name', 'rest')


@MODELS.register_module()
class OneShotChoice(nn.Module):
    """Holds named candidate ops and runs the one that is chosen.

    Candidates live in ``self._candidates`` (an ``nn.ModuleDict``), so keys
    read ``<path>._candidates.<name>.<op keys>`` as in MMRazor.

    Args:
        candidates (Dict[str, dict | nn.Module]): The candidates by name,
            each an op config or a built ``nn.Module``.
        common_kwargs (dict, optional): Arguments merged into every
            candidate config (such as channels and stride), so that the op
            configs name only what differs. Defaults to None.
        alias (str, optional): Mutables with the same alias are one
            decision, and the mutator gives them the same choice.
            Defaults to None.
        init_choice (str, optional): The first active candidate. None means
            the first candidate. Defaults to None.

    Raises:
        ValueError: If there is no candidate or ``init_choice`` is not one.
        TypeError: If a candidate is neither a dict nor an ``nn.Module``.
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
        """Return the op of candidate ``name``.

        Args:
            name (str): One of :attr:`choices`.

        Returns:
            nn.Module: The candidate op.

        Raises:
            ValueError: If ``name`` is not a held candidate.
        """
        self._check(name)
        return self._candidates[name]

    @staticmethod
    def candidate_key_prefix(name: str) -> str:
        """Return the prefix of candidate ``name``'s keys in the state dict.

        The prefix is relative to this module's own state dict.

        Args:
            name (str): A candidate name.

        Returns:
            str: ``'_candidates.<name>.'``.
        """
        return f'_candidates.{name}.'

    def _check(self, name: str) -> None:
        if name not in self._candidates:
            raise ValueError(f'unknown choice {name!r}; valid choices are '
                             f'{self.choices}')

    @property
    def current_choice(self) -> str:
        """The name of the active candidate.

        Setting it to another name raises ``RuntimeError`` once the choice
        is fixed, and ``ValueError`` for a name that is not a candidate.
        """
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
        """The op of the active candidate."""
        return self._candidates[self._current]

    def fix(self, name: str) -> None:
        """Keep only candidate ``name``; the others (and their weights) go.

        Args:
            name (str): The candidate to keep.

        Raises:
            ValueError: If ``name`` is not a held candidate.
        """
        self._check(name)
        for other in self.choices:
            if other != name:
                del self._candidates[other]
        self._current = name
        self.is_fixed = True

    def forward(self, *args, **kwargs):
        """Run the active candidate.

        Args:
            *args: Positional arguments of the candidate's ``forward``.
            **kwargs: Keyword arguments of the candidate's ``forward``.

        Returns:
            Any: What the active candidate returns.
        """
        return self._candidates[self._current](*args, **kwargs)

    def extra_repr(self) -> str:
        """Show the active choice, the alias and whether it is fixed."""
        fixed = ', fixed' if self.is_fixed else ''
        alias = f', alias={self.alias!r}' if self.alias else ''
        return f'current={self._current!r}{alias}{fixed}'
