"""Find the one-shot choices of a model and sample, set and export them."""
import random
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple

import torch.nn as nn

from mmrazor_lite.mutables.one_shot_choice import OneShotChoice
from mmrazor_lite.registry import MODELS


@MODELS.register_module()
class OneShotMutator(nn.Module):
    """Controls every :class:`OneShotChoice` of a model.

    A *decision* is keyed by the mutable's module path
    (``backbone.layers.0.0``) or, for mutables sharing an ``alias``, by the
    alias. The mutator holds no weights; it keeps plain references to the
    mutables (not submodules, so nothing is duplicated in a state dict).
    Its queries and decisions raise ``RuntimeError`` until
    :meth:`prepare_from_supernet` has run.
    """

    def __init__(self):
        super().__init__()
        self._groups: 'OrderedDict[str, List[Tuple[str, OneShotChoice]]]' = \
            OrderedDict()
        self._prepared = False

    # ------------------------------------------------------------------ setup
    def prepare_from_supernet(self, model: nn.Module) -> None:
        """Find and group the one-shot choices of ``model``.

        Args:
            model (nn.Module): The supernet to control.

        Raises:
            ValueError: If ``model`` has no :class:`OneShotChoice`, or
                mutables sharing an alias offer different choices.
        """
        groups = OrderedDict()
        for path, module in model.named_modules():
            if isinstance(module, OneShotChoice):
                key = module.alias or path
                groups.setdefault(key, []).append((path, module))
        for key, members in groups.items():
            names = [m.choices for _, m in members]
            if any(n != names[0] for n in names):
                raise ValueError(
                    f'mutables sharing alias {key!r} must offer the same '
                    f'choices, got {dict((p, m.choices) for p, m in members)}')
        if not groups:
            raise ValueError(
                f'{type(model).__name__} has no OneShotChoice: nothing to '
                f'search')
        self._groups = groups
        self._prepared = True

    def _require_prepared(self):
        if not self._prepared:
            raise RuntimeError('call prepare_from_supernet(model) first')

    # ------------------------------------------------------------- queries
    @property
    def search_groups(
            self) -> 'OrderedDict[str, List[Tuple[str, OneShotChoice]]]':
        """Decision key -> the ``(path, mutable)`` pairs it decides."""
        self._require_prepared()
        return self._groups

    @property
    def mutable_paths(self) -> List[str]:
        """The module path of every controlled mutable, in decision order."""
        return [
            p for members in self.search_groups.values() for p, _ in members
        ]

    @property
    def mutables(self) -> List[OneShotChoice]:
        """Every controlled mutable, in decision order."""
        return [
            m for members in self.search_groups.values() for _, m in members
        ]

    @property
    def choices(self) -> 'OrderedDict[str, List[str]]':
        """Decision key -> candidate names."""
        return OrderedDict((k, list(members[0][1].choices))
                           for k, members in self.search_groups.items())

    def current_choices(self) -> 'OrderedDict[str, str]':
        """Return the active path by decision.

        Returns:
            OrderedDict[str, str]: Decision key -> active candidate name.
        """
        return OrderedDict((k, members[0][1].current_choice)
                           for k, members in self.search_groups.items())

    @property
    def is_fixed(self) -> bool:
        """Whether every controlled mutable is fixed to one candidate."""
        return all(m.is_fixed for members in self.search_groups.values()
                   for _, m in members)

    # ---------------------------------------------------------- decisions
    def sample_choices(
            self,
            rng: Optional[random.Random] = None) -> 'OrderedDict[str, str]':
        """Draw one candidate per decision, uniformly at random.

        Args:
            rng (random.Random, optional): The source of randomness. Pass
                one to make the draw reproducible (and identical across
                ranks when every rank seeds it the same way). None means
                the ``random`` module. Defaults to None.

        Returns:
            OrderedDict[str, str]: Decision key -> candidate name.
        """
        rng = rng or random
        return OrderedDict(
            (k, rng.choice(names)) for k, names in self.choices.items())

    def validate_choices(self, choices: Mapping[str, str]) -> Dict[str, str]:
        """Return ``choices`` keyed by decision, checked complete and valid.

        Args:
            choices (Mapping[str, str]): Key -> candidate name. Keys may be
                decision keys or module paths (a shared decision may be
                given through any of its modules, consistently).

        Returns:
            Dict[str, str]: Decision key -> candidate name, one entry per
            decision.

        Raises:
            KeyError: If there are unknown keys or decisions left without a
                choice.
            ValueError: If a choice name is unknown, or one shared decision
                gets conflicting choices; the message lists what is valid.
        """
        groups = self.search_groups
        path_to_key = {
            p: k
            for k, members in groups.items()
            for p, _ in members
        }
        decided: Dict[str, str] = {}
        unknown = []
        for key, name in choices.items():
            group_key = key if key in groups else path_to_key.get(key)
            if group_key is None:
                unknown.append(key)
                continue
            if group_key in decided and decided[group_key] != name:
                raise ValueError(
                    f'conflicting choices for the shared decision '
                    f'{group_key!r}: {decided[group_key]!r} and {name!r}')
            decided[group_key] = name
        if unknown:
            raise KeyError(f'unknown mutable keys {unknown}; valid keys are '
                           f'{list(groups)}')
        missing = [k for k in groups if k not in decided]
        if missing:
            raise KeyError(f'no choice given for {missing}')
        for key, name in decided.items():
            valid = groups[key][0][1].choices
            if name not in valid:
                raise ValueError(f'unknown choice {name!r} for {key!r}; valid '
                                 f'choices are {valid}')
        return decided

    def set_choices(self, choices: Mapping[str, str]) -> None:
        """Make ``choices`` the active path.

        Args:
            choices (Mapping[str, str]): Decision key or module path ->
                candidate name, as :meth:`validate_choices` accepts it.

        Raises:
            KeyError: If a key is unknown or a decision is left out.
            ValueError: If a choice is invalid or conflicting.
        """
        for key, name in self.validate_choices(choices).items():
            for _, mutable in self.search_groups[key]:
                mutable.current_choice = name

    def fix_subnet(self, choices: Mapping[str, str]) -> None:
        """Keep only the chosen candidate in every mutable (drops weights).

        The chosen op stays under its candidate key prefix (MMRazor's
        layout, so MMRazor subnet weights load as they are). To fix a model
        from a subnet file or mapping in any accepted form, use
        :func:`mmrazor_lite.subnet.fix_model` (``keep_candidate_keys=True``
        gives this layout): the one entry point every tool uses.

        Args:
            choices (Mapping[str, str]): Decision key or module path ->
                candidate name, as :meth:`validate_choices` accepts it.

        Raises:
            KeyError: If a key is unknown or a decision is left out.
            ValueError: If a choice is invalid or conflicting.
        """
        for key, name in self.validate_choices(choices).items():
            for _, mutable in self.search_groups[key]:
                mutable.fix(name)

    def current_subnet(self) -> 'OrderedDict[str, str]':
        """Return the active path by module path.

        Returns:
            OrderedDict[str, str]: Module path -> active candidate name.
        """
        return OrderedDict((path, mutable.current_choice)
                           for members in self.search_groups.values()
                           for path, mutable in members)

    def export_subnet(self) -> 'OrderedDict[str, Dict[str, str]]':
        """Return the active path in the subnet-file form.

        Returns:
            OrderedDict[str, Dict[str, str]]: Module path ->
            ``{'chosen': name}``.
        """
        return OrderedDict((path, {
            'chosen': name
        }) for path, name in self.current_subnet().items())
