"""The method rows of the benchmark: one booster configuration, different losses.

Every row is a :class:`Method`: a name, its booster family and a ``build``
function that returns an unfitted estimator (and keyword arguments for
``fit``) for one training fold.  Focal-loss rows are declared with
:func:`focal_row`; a row tuned by inner cross-validation only needs a
``grid`` function, so a new tuned variant is a few lines in
:func:`lightgbm_rows` or :func:`xgboost_rows`, as ``lgbm_focal_asym_tuned``
(a ``γ`` per class, :func:`asymmetric_gamma_grid`) shows.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.utils.class_weight import compute_sample_weight

from focalboost.calibration import BINARY_ONLY_CALIBRATIONS

__all__ = [
    "CALIBRATION_VARIANTS",
    "QUICK_CONFIG",
    "CatBoostFrame",
    "Config",
    "Method",
    "all_methods",
    "asymmetric_gamma_grid",
    "calibration_supported",
    "focal_row",
    "gamma_alpha_grid",
    "leaf_settings",
    "lightgbm_rows",
    "skipped_rows",
    "xgboost_rows",
]

log = logging.getLogger("focalboost.bench")

#: data-driven calibrations of lgbm_focal, run as extra rows when focalboost accepts them
CALIBRATION_VARIANTS = ("isotonic", "sigmoid", "temperature", "beta")


@dataclasses.dataclass(frozen=True)
class Config:
    """Booster settings shared by every row, and the tuning grid of the ``*_tuned`` rows.

    ``min_child_samples`` (LightGBM) and ``min_child_weight`` (XGBoost) are
    the minimum leaf sizes for a training fold with at least
    ``leaf_reference_rows`` rows of its rarest class; with ``min_leaf="scaled"``
    smaller folds get proportionally smaller leaves (:func:`leaf_settings`),
    with ``"fixed"`` they keep them.
    """

    n_estimators: int = 200
    learning_rate: float = 0.05
    num_leaves: int = 15
    max_depth: int = 4
    min_child_samples: int = 20
    min_child_weight: float = 1.0
    min_leaf: str = "scaled"
    leaf_reference_rows: int = 80
    gammas: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0)
    #: grid of lgbm_focal_asym_tuned: γ of the negative class x γ of the positive class
    asym_gammas_neg: tuple[float, ...] = (0.5, 2.0, 4.0)
    asym_gammas_pos: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0)
    alphas: tuple[Any, ...] = (None, "balanced")
    binary_alphas: tuple[float, ...] = (0.25, 0.75)
    inner_folds: int = 3
    tune_max_rows: int = 10_000
    seed: int = 0


QUICK_CONFIG = Config(
    n_estimators=60,
    learning_rate=0.1,
    gammas=(1.0, 2.0),
    alphas=(None, "balanced"),
    binary_alphas=(),
    asym_gammas_neg=(2.0, 4.0),
    asym_gammas_pos=(0.0, 1.0),
)

Builder = Callable[[str, np.ndarray, Config], tuple[Any, dict]]


@dataclasses.dataclass(frozen=True)
class Method:
    """A benchmark row: ``build(task, y_train, cfg)`` returns ``(estimator, fit_kwargs)``.

    A ``build`` that returns a :class:`~sklearn.model_selection.GridSearchCV`
    makes a tuned row (see :func:`focalboost.bench.protocol.fit_method`).
    ``kind`` is ``"loss"`` for a row that changes the training objective and
    ``"calibration"`` for a post-processing variant of the default focal row
    (they get their own panel in the PR plots).
    """

    name: str
    family: str
    build: Builder
    binary_only: bool = False
    tuned: bool = False
    kind: str = "loss"


# -- booster settings ----------------------------------------------------------------


def lgb_params(cfg: Config) -> dict:
    """LightGBM keyword arguments of every LightGBM row."""
    return {
        "n_estimators": cfg.n_estimators,
        "learning_rate": cfg.learning_rate,
        "num_leaves": cfg.num_leaves,
        "min_child_samples": cfg.min_child_samples,
        "random_state": cfg.seed,
        "n_jobs": 1,
        "deterministic": True,
        "verbose": -1,
    }


def xgb_params(cfg: Config) -> dict:
    """XGBoost keyword arguments of every XGBoost row."""
    return {
        "n_estimators": cfg.n_estimators,
        "learning_rate": cfg.learning_rate,
        "max_depth": cfg.max_depth,
        "min_child_weight": cfg.min_child_weight,
        "tree_method": "hist",
        "enable_categorical": True,
        "random_state": cfg.seed,
        "n_jobs": 1,
        "verbosity": 0,
    }


MIN_LEAF_RULES = ("scaled", "fixed")


def leaf_settings(y: np.ndarray, cfg: Config) -> Config:
    """``cfg`` with the minimum leaf sizes scaled to the rarest class of ``y``.

    With ``n`` rows of the rarest class in the training fold ``y`` and
    ``s = min(1, n / cfg.leaf_reference_rows)``, LightGBM gets
    ``min_child_samples = max(2, round(s * cfg.min_child_samples))`` (halves
    rounded up) and
    XGBoost ``min_child_weight = s * cfg.min_child_weight``.  With the
    defaults (20 rows, weight 1, reference 80) a fold with 80 or more rows of
    its rarest class keeps the boosters' defaults, and one with 16 positives
    (yeast_2_vs_8) gets leaves of 4 rows, so a leaf can isolate a quarter of
    the positives.  The same setting is used by every row of a booster and
    every fit inside the fold (tuning, threshold split, refit).
    """
    if cfg.min_leaf == "fixed":
        return cfg
    if cfg.min_leaf != "scaled":
        raise ValueError(f"min_leaf must be one of {MIN_LEAF_RULES}, got {cfg.min_leaf!r}")
    counts = np.bincount(np.asarray(y, dtype=np.int64))
    n_min = int(counts[counts > 0].min())
    scale = min(1.0, n_min / cfg.leaf_reference_rows)
    return dataclasses.replace(
        cfg,
        min_child_samples=max(2, math.floor(scale * cfg.min_child_samples + 0.5)),
        min_child_weight=scale * cfg.min_child_weight,
    )


# -- tuning --------------------------------------------------------------------------


def gamma_alpha_grid(task: str, cfg: Config) -> dict[str, list]:
    """``gamma`` x ``alpha`` grid of the ``*_focal_tuned`` rows."""
    alphas = list(cfg.alphas) + (list(cfg.binary_alphas) if task == "binary" else [])
    return {"gamma": list(cfg.gammas), "alpha": alphas}


def asymmetric_gamma_grid(task: str, cfg: Config) -> dict[str, list]:
    """``(γ_0, γ_1)`` grid of ``lgbm_focal_asym_tuned``: the asymmetric focal loss.

    A larger ``γ`` on the plentiful, mostly easy negatives than on the rare
    positives is the usual choice (Ridnik et al., ICCV 2021); the grid has both
    orders and the symmetric pairs.
    """
    return {"gamma": [(g0, g1) for g0 in cfg.asym_gammas_neg for g1 in cfg.asym_gammas_pos]}


def tuned(est: Any, grid: dict[str, list], task: str, cfg: Config) -> GridSearchCV:
    """Inner stratified grid search: average precision (binary) or log loss (multiclass)."""
    cv = StratifiedKFold(cfg.inner_folds, shuffle=True, random_state=cfg.seed)
    scoring = "average_precision" if task == "binary" else "neg_log_loss"
    return GridSearchCV(est, grid, scoring=scoring, cv=cv, n_jobs=1)


# -- builders ------------------------------------------------------------------------

_BOOSTERS = {
    "lightgbm": ("focalboost.lightgbm", "FocalLGBMClassifier", lgb_params),
    "xgboost": ("focalboost.xgboost", "FocalXGBClassifier", xgb_params),
}


def focal_row(
    name: str,
    booster: str,
    *,
    grid: Callable[[str, Config], dict[str, list]] | None = None,
    binary_only: bool = False,
    kind: str = "loss",
    **params: Any,
) -> Method:
    """A focal-loss row of ``booster`` (``"lightgbm"`` or ``"xgboost"``).

    Parameters
    ----------
    name : str
        Row name in every table.
    booster : {"lightgbm", "xgboost"}
        Which focalboost classifier, with that booster's shared settings.
    grid : callable, optional
        ``grid(task, cfg)`` returns a parameter grid; the row is then tuned by
        inner cross-validation on the training fold (``*_tuned`` rows).
    binary_only : bool, default=False
        Run on binary data sets only.
    kind : {"loss", "calibration"}, default="loss"
        See :class:`Method`.
    **params
        Fixed keyword arguments of the classifier (``calibration``, ``gamma``, ...).
    """
    if booster not in _BOOSTERS:
        raise ValueError(f"booster must be one of {sorted(_BOOSTERS)}, got {booster!r}")
    module, cls_name, shared = _BOOSTERS[booster]

    def build(task: str, y: np.ndarray, cfg: Config) -> tuple[Any, dict]:
        import importlib

        cls = getattr(importlib.import_module(module), cls_name)
        est = cls(**{**shared(cfg), **params})
        if grid is not None:
            return tuned(est, grid(task, cfg), task, cfg), {}
        return est, {}

    return Method(name, booster, build, binary_only=binary_only, tuned=grid is not None, kind=kind)


def _lgbm_logloss(task, y, cfg):
    import lightgbm as lgb

    return lgb.LGBMClassifier(**lgb_params(cfg)), {}


def _lgbm_balanced(task, y, cfg):
    import lightgbm as lgb

    return lgb.LGBMClassifier(class_weight="balanced", **lgb_params(cfg)), {}


def _xgb_logloss(task, y, cfg):
    import xgboost as xgb

    return xgb.XGBClassifier(**xgb_params(cfg)), {}


def _xgb_balanced(task, y, cfg):
    import xgboost as xgb

    if task == "binary":
        spw = float(np.sum(y == 0)) / max(float(np.sum(y == 1)), 1.0)
        return xgb.XGBClassifier(scale_pos_weight=spw, **xgb_params(cfg)), {}
    w = compute_sample_weight("balanced", y)
    return xgb.XGBClassifier(**xgb_params(cfg)), {"sample_weight": w}


def _catboost(loss: str) -> Builder:
    def build(task, y, cfg):
        from catboost import CatBoostClassifier

        est = CatBoostClassifier(
            loss_function=loss,
            iterations=cfg.n_estimators,
            learning_rate=cfg.learning_rate,
            depth=cfg.max_depth,
            random_seed=cfg.seed,
            thread_count=1,
            verbose=False,
            allow_writing_files=False,
        )
        return CatBoostFrame(est), {}

    return build


class CatBoostFrame:
    """CatBoost on a DataFrame with category columns (passed as ``cat_features``)."""

    def __init__(self, est: Any) -> None:
        self.est = est

    @staticmethod
    def prepare(X: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
        """A copy of ``X`` with category columns as strings, and their positions."""
        cats = [i for i, c in enumerate(X.columns) if isinstance(X[c].dtype, pd.CategoricalDtype)]
        if cats:
            X = X.copy()
            for i in cats:
                col = X.columns[i]
                # CatBoost wants strings; a missing category becomes a level of its own
                values = X[col].astype(object)
                X[col] = values.where(values.notna(), "<missing>").map(str).astype(object)
        return X, cats

    def fit(self, X, y, **kw):
        X, cats = self.prepare(X)
        self.est.fit(X, y, cat_features=cats or None, **kw)
        return self

    def predict_proba(self, X):
        return self.est.predict_proba(self.prepare(X)[0])

    def get_params(self, deep: bool = True) -> dict:
        return {"est": self.est}

    def set_params(self, **params):
        for k, v in params.items():
            setattr(self, k, v)
        return self


# -- the registry --------------------------------------------------------------------


def _available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def lightgbm_rows() -> list[Method]:
    """The LightGBM rows (calibration variants probed against the installed focalboost)."""
    rows = [
        Method("lgbm_logloss", "lightgbm", _lgbm_logloss),
        Method("lgbm_balanced", "lightgbm", _lgbm_balanced),
        focal_row("lgbm_focal", "lightgbm", calibration="focal"),
        focal_row("lgbm_focal_tuned", "lightgbm", grid=gamma_alpha_grid),
        focal_row("lgbm_focal_asym_tuned", "lightgbm", grid=asymmetric_gamma_grid,
                  binary_only=True),
        focal_row("lgbm_focal_effnum", "lightgbm", alpha="effective_number", binary_only=True),
        focal_row("lgbm_focal_raw", "lightgbm", calibration=None, kind="calibration"),
    ]
    for cal in CALIBRATION_VARIANTS:
        if calibration_supported(cal):
            only2 = cal in BINARY_ONLY_CALIBRATIONS
            name = f"lgbm_focal_{cal}"
            row = focal_row(
                name, "lightgbm", calibration=cal, binary_only=only2, kind="calibration"
            )
            rows.append(row)
        else:
            log.info("skipping lgbm_focal_%s: calibration=%r not supported", cal, cal)
    return rows


def xgboost_rows() -> list[Method]:
    """The XGBoost rows."""
    return [
        Method("xgb_logloss", "xgboost", _xgb_logloss),
        Method("xgb_balanced", "xgboost", _xgb_balanced),
        focal_row("xgb_focal", "xgboost"),
        focal_row("xgb_focal_tuned", "xgboost", grid=gamma_alpha_grid),
    ]


def catboost_rows() -> list[Method]:
    """CatBoost's own ``Logloss`` and ``Focal`` (binary only)."""
    return [
        Method("cat_logloss", "catboost", _catboost("Logloss"), binary_only=True),
        Method(
            "cat_focal",
            "catboost",
            _catboost("Focal:focal_alpha=0.25;focal_gamma=2"),
            binary_only=True,
        ),
    ]


def all_methods() -> list[Method]:
    """Every method row this installation can run (calibration variants probed)."""
    methods = []
    if _available("lightgbm"):
        methods += lightgbm_rows()
    else:
        log.warning("lightgbm not importable: LightGBM rows skipped")
    if _available("xgboost"):
        methods += xgboost_rows()
    else:
        log.warning("xgboost not importable: XGBoost rows skipped")
    if _available("catboost"):
        methods += catboost_rows()
    else:
        log.info("catboost not importable: CatBoost rows skipped")
    return methods


_CAL_CACHE: dict[str, bool] = {}


def calibration_supported(name: str) -> bool:
    """Whether the installed FocalLGBMClassifier accepts ``calibration=name``."""
    if name not in _CAL_CACHE:
        from focalboost.lightgbm import FocalLGBMClassifier

        rng = np.random.default_rng(0)
        X = rng.normal(size=(60, 2))
        y = (X[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                FocalLGBMClassifier(
                    calibration=name, n_estimators=2, verbose=-1, min_child_samples=5
                ).fit(X, y)
            _CAL_CACHE[name] = True
        except ValueError as exc:
            log.info("calibration %r rejected by focalboost: %s", name, exc)
            _CAL_CACHE[name] = False
    return _CAL_CACHE[name]


def skipped_rows() -> list[str]:
    """Calibration rows left out because the installed focalboost rejected them."""
    return [
        f"lgbm_focal_{c} (calibration not supported)"
        for c in CALIBRATION_VARIANTS
        if not _CAL_CACHE.get(c, False)
    ]
