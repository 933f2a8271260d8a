"""The RUL models by name. Adding a model is adding a row to :data:`RUL_MODELS`.

Each row names a factory as ``module:attribute`` (imported only when the model is made, so the
catalogue loads nothing heavy) taking ``cap``, ``seed`` and ``n_jobs``. ``gbm`` (gradient-boosted
trees on windowed health features) is the default: it needs no optional dependency and measured
best (see ``docs/benchmarks-pdm.md``). ``cnn`` is the deep model (PyTorch, ``deep`` extra);
``blend`` averages the two.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from shopfloor.maintenance.errors import DataError, UnknownModel

if TYPE_CHECKING:
    from shopfloor.maintenance.blend import BlendRul
    from shopfloor.maintenance.rul import FoldEnsemble

#: name -> (factory "module:attribute", one-line description)
RUL_MODELS: dict[str, tuple[str, str]] = {
    "gbm": (
        "shopfloor.maintenance.trees:TreeRul",
        "gradient-boosted trees on windowed health features (default)",
    ),
    "cnn": (
        "shopfloor.maintenance.deep:CnnRul",
        "1D CNN over windows of the signals (needs the 'deep' extra)",
    ),
    "blend": (
        "shopfloor.maintenance.blend:gbm_cnn_blend",
        "mean of gbm and cnn (needs the 'deep' extra)",
    ),
}
DEFAULT_RUL_MODEL = "gbm"


def make_rul_model(
    name: str, *, cap: float = 125.0, seed: int = 0, n_jobs: int = 1
) -> FoldEnsemble | BlendRul:
    """A fresh, untrained RUL model from the catalogue."""
    if name not in RUL_MODELS:
        raise UnknownModel(f"unknown RUL model {name!r}; choose one of {', '.join(RUL_MODELS)}")
    if cap <= 0:
        raise DataError(f"the RUL cap must be positive, got {cap}")
    module, attr = RUL_MODELS[name][0].split(":")
    factory = getattr(importlib.import_module(module), attr)
    model: FoldEnsemble | BlendRul = factory(cap=cap, seed=seed, n_jobs=n_jobs)
    return model
