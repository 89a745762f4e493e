"""Predictor-assisted evolution: a cheap model of a path's score.

``train_cfg.predictor=dict(type='MLP', warmup=N, oversample=K,
**model_args)``. Once the search holds N real scores, each generation
breeds K times as many children as it scores; a scikit-learn regressor over
the one-hot encoding of the subnet (:mod:`.subnet_encoding`) predicts their
scores, the loop ranks them (``_rank_by_prediction``) and scores only the
configured ``num_mutation + num_crossover`` best. ``model_args`` go to the
regressor (e.g. ``n_estimators=200``).

The model is refitted once per generation, when it screens, on every real
score so far in the order they were scored (the state keeps that order), with
a ``random_state`` derived from the search seed. So a resumed search refits
exactly the model the uninterrupted one fitted: no extra state is saved.
Fitting runs on one BLAS thread (the bits then do not depend on a process's
thread count), on every rank, and rank 0's predictions are broadcast, so
the ranks cannot disagree even on machines whose BLAS kernels differ.
"""
import importlib
import warnings
from collections import OrderedDict
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from .evolution_operators import Candidate
from .rank_agreement import on_every_rank
from .subnet_encoding import SubnetEncoding


def _gaussian_process_defaults() -> dict:
    from sklearn.gaussian_process import kernels

    # one length scale over 0/1 inputs, plus noise: supernet scores are noisy
    return dict(
        kernel=kernels.ConstantKernel(1.0) * kernels.RBF(2.0) +
        kernels.WhiteKernel(0.1))


#: ``type`` -> (module, regressor class, its defaults here)
MODEL_TYPES = {
    'GaussianProcess': ('sklearn.gaussian_process', 'GaussianProcessRegressor',
                        _gaussian_process_defaults),
    # lbfgs: the data sets are tens to hundreds of rows, too few for adam
    'MLP': ('sklearn.neural_network', 'MLPRegressor', lambda: dict(
        hidden_layer_sizes=(32, ), solver='lbfgs', alpha=1e-2, max_iter=2000)),
    # a split per third of the columns: with all of them every tree keeps
    # splitting on the same few strong choices and misses the weak ones
    'RandomForest': ('sklearn.ensemble', 'RandomForestRegressor',
                     lambda: dict(n_estimators=100, max_features=0.3)),
    'ExtraTrees': ('sklearn.ensemble', 'ExtraTreesRegressor',
                   lambda: dict(n_estimators=100, max_features=0.3)),
    # stumps: a sum of one-choice terms, the shape of a per-block score
    'GradientBoosting': ('sklearn.ensemble', 'GradientBoostingRegressor',
                         lambda: dict(n_estimators=200, max_depth=1)),
}
KEY = 'train_cfg.predictor'
#: the best held-out rank correlation and the fewest evaluations to the
#: plain search's best of the five on the demo (docs/benchmarks.md)
DEFAULT_TYPE = 'MLP'


def _whole_number(name: str, value, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or value < least:
        raise ValueError(f'{KEY}.{name} must be a whole number >= {least}, '
                         f'got {value!r}')
    return int(value)


class ScorePredictor:
    """Predicts scores of bred children from the real scores so far.

    Args:
        type (str): one of :data:`MODEL_TYPES` (:data:`DEFAULT_TYPE`).
        warmup (int): real scores needed before it screens (>= 2).
        oversample (int): children bred per child scored once it screens.
        **model_args: keyword arguments of the regressor.
    """

    def __init__(self,
                 warmup: int,
                 type: str = DEFAULT_TYPE,
                 oversample: int = 4,
                 **model_args):
        if type not in MODEL_TYPES:
            raise ValueError(f'{KEY}.type={type!r} is not a known predictor; '
                             f'use one of {", ".join(MODEL_TYPES)}')
        self.type = type
        self.warmup = _whole_number('warmup', warmup, 2)
        self.oversample = _whole_number('oversample', oversample, 1)
        self.model_args = dict(model_args)
        self.make_model(0)  # a misspelt argument fails now, not in hours

    @classmethod
    def build(cls, cfg: Optional[Mapping]) -> Optional['ScorePredictor']:
        """From ``train_cfg.predictor``: None (no predictor) or a dict."""
        if cfg is None:
            return None
        if not isinstance(cfg, Mapping) or 'warmup' not in cfg:
            raise ValueError(f"{KEY} must be None or a dict with 'warmup' "
                             f"(and 'type', default {DEFAULT_TYPE!r}), e.g. "
                             f"dict(type='MLP', warmup=16), got {cfg!r}")
        return cls(**cfg)

    def make_model(self, random_state: int):
        """A new, unfitted regressor of this type."""
        module, name, defaults = MODEL_TYPES[self.type]
        regressor = getattr(importlib.import_module(module), name)
        args = dict(defaults(), random_state=random_state)
        args.update(self.model_args)
        try:
            return regressor(**args)
        except TypeError as exc:
            raise ValueError(f'{KEY}: {name} does not take these arguments '
                             f'({exc}); given {self.model_args}') from None

    def oversampling(self, num_scored: int) -> int:
        """Children bred per child scored, with ``num_scored`` scores."""
        return self.oversample if num_scored >= self.warmup else 1

    def fit_predict(self, scores: Mapping[Candidate, float],
                    children: Sequence[Candidate],
                    choices: Mapping[str, Sequence[str]],
                    seed: int) -> Dict[Candidate, float]:
        """Fit on ``scores`` (in their order), predict ``children``."""
        from sklearn.exceptions import ConvergenceWarning
        from threadpoolctl import threadpool_limits
        encoding = SubnetEncoding(choices)
        known = list(scores)
        y = np.array([scores[c] for c in known], dtype=np.float64)
        # standardised targets: the GP's and MLP's priors assume unit scale
        mean, std = float(y.mean()), float(y.std()) or 1.0
        model = self.make_model(int(seed) % 2**32)
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter('ignore', ConvergenceWarning)
            model.fit(encoding.encode_all(known), (y - mean) / std)
            predicted = model.predict(encoding.encode_all(children))
        return OrderedDict(
            (c, float(p) * std + mean) for c, p in zip(children, predicted))

    def predict(self, scores: Mapping[Candidate, float],
                children: Sequence[Candidate], choices: Mapping[str,
                                                                Sequence[str]],
                seed: int) -> Dict[Candidate, float]:
        """:meth:`fit_predict` on every rank (failing on all or none); the
        predictions of rank 0 on all."""
        from mmengine.dist import broadcast_object_list, get_world_size
        predicted = on_every_rank(self.fit_predict, scores, children, choices,
                                  seed)
        if get_world_size() > 1:
            box = [predicted]
            broadcast_object_list(box, src=0)
            predicted = box[0]
        return predicted
