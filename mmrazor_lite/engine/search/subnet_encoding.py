"""A subnet as a fixed-length vector, for a model that predicts its score.

One block of columns per decision, in the mutator's decision order, one
column per choice the decision offers (in the order it offers them): a
candidate sets exactly one column of each block to 1. The layout depends on
the search space only, so a model fitted on one generation's vectors reads
every later generation's, and a resumed search encodes as the first run did.
"""
from typing import Dict, List, Mapping, Sequence

import numpy as np

from .evolution_operators import Candidate


class SubnetEncoding:
    """One-hot encoding of candidates of one search space.

    Args:
        choices: decision key -> the choice names it offers, in decision
            order (``mutator.choices``).
    """

    def __init__(self, choices: Mapping[str, Sequence[str]]):
        self.keys: List[str] = list(choices)
        self.names: List[List[str]] = [list(v) for v in choices.values()]
        self._column: List[Dict[str, int]] = []
        offset = 0
        for key, names in zip(self.keys, self.names):
            if len(set(names)) != len(names) or not names:
                raise ValueError(f'decision {key!r} offers {names}: a '
                                 f'one-hot encoding needs distinct names, '
                                 f'at least one')
            self._column.append({n: offset + i for i, n in enumerate(names)})
            offset += len(names)
        self.size = offset

    def encode(self, candidate: Candidate) -> np.ndarray:
        """``candidate`` (one choice name per decision) as a 0/1 vector."""
        return self.encode_all([candidate])[0]

    def encode_all(self, candidates: Sequence[Candidate]) -> np.ndarray:
        """An ``(len(candidates), size)`` float64 matrix of 0 and 1."""
        out = np.zeros((len(candidates), self.size), dtype=np.float64)
        for row, candidate in enumerate(candidates):
            if len(candidate) != len(self.keys):
                raise ValueError(
                    f'candidate {tuple(candidate)} has {len(candidate)} '
                    f'choices; this search space has {len(self.keys)} '
                    f'decisions ({", ".join(self.keys)})')
            for key, columns, name in zip(self.keys, self._column, candidate):
                if name not in columns:
                    raise ValueError(
                        f'candidate {tuple(candidate)}: decision {key!r} '
                        f'offers {list(columns)}, not {name!r}')
                out[row, columns[name]] = 1.0
        return out
