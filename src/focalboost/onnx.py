"""ONNX export of focal models: trees, init score, focal map and calibrator in one graph.

Importing this module registers converters with skl2onnx, so that
:func:`skl2onnx.to_onnx` converts a fitted
:class:`~focalboost.FocalLGBMClassifier` or
:class:`~focalboost.FocalXGBClassifier`, or a scikit-learn
:class:`~sklearn.pipeline.Pipeline` ending in one::

    import focalboost.onnx  # registers the converters
    from skl2onnx import to_onnx

    onx = to_onnx(clf, X_train[:1], options={"zipmap": False})

    import onnxruntime as ort
    sess = ort.InferenceSession(onx.SerializeToString())
    label, proba = sess.run(None, {"X": X_test})   # proba == clf.predict_proba(X_test)

:func:`to_onnx` is the same call, with the exportability check first.  The
outputs are those of skl2onnx's classifiers: the label (``output_label``,
int64 or string, the class with the largest probability) and the
probabilities (``output_probability``: a list of ``{class: probability}``
maps with the default ``zipmap=True``, an (n, n_classes) tensor with
``zipmap=False``, one output per class with ``zipmap="columns"``); option
``nocl=True`` uses class indices instead of the labels.

What the graph holds
--------------------
1. The trees, init score included (the booster carries it after ``fit``), as
   one ``ai.onnx.ml`` ``TreeEnsembleRegressor`` (opset 3) that outputs the raw
   margins, :meth:`decision_function`.  The tree structure comes from
   onnxmltools' own LightGBM and XGBoost converters; only their output
   transform is replaced (see :func:`_capture_trees`).

   - LightGBM compares features with its thresholds in float64, so its trees
     take the input as float64, with float64 thresholds and leaf values
     (``nodes_values_as_tensor`` / ``target_weights_as_tensor``): every row
     reaches the leaf LightGBM reaches from the same input values.  The
     operator sums the leaves in float64 and returns the margins as float32
     (the only output type of ``TreeEnsembleRegressor``): half a float32 ulp.
   - XGBoost works in float32 (features, thresholds, leaves and sums), so its
     trees take the input cast to float32, as XGBoost casts it; the margins
     then differ from XGBoost's only by the order of the float32 additions.

2. The map from margins to probabilities, in float64: the link inverse
   (``calibration=None``), the focal-to-posterior map (``"focal"``; the
   stable log-space form of :func:`focalboost._formulas.log_f`, with
   ``log1p`` written as ``log(w) x / (w - 1)``, ``w = 1 + x``, since ONNX has
   no ``Log1p``), and the fitted data-driven calibrator applied after it
   (``"sigmoid"``, ``"temperature"``, ``"beta"``), with the formulas of
   :mod:`focalboost.calibration`.

3. The label (argmax of the float64 probabilities, first class on ties, as
   ``predict``) and the probabilities, float32 for float32 inputs and for
   ``zipmap=True`` (ONNX's ``ZipMap`` takes float32 only), float64 for
   float64 inputs otherwise.

``calibration="isotonic"`` is not exported: the fitted isotonic map is
piecewise linear with slopes in the thousands on real tables, so the float32
rounding of the margins alone can move its probabilities by more than 1e-5
(``benchmarks/onnx_precision.py``: up to 3.5e-5).
:func:`check_exportable` raises before any conversion, naming the
calibrations that export (:data:`SUPPORTED_CALIBRATIONS`).

Inputs
------
A NumPy sample gives one input ``X`` of shape (n, n_features) and the
sample's dtype (float32, float64 or int64).  Pass float64 (the default for
NumPy data) for LightGBM models: a float32 input is rounded before it
reaches the float64 thresholds, as it would be for LightGBM itself.  A pandas
sample gives one input per column, named after it (skl2onnx's convention);
they are concatenated in the model's feature order.

Version fence
-------------
The tree converters' output is captured through skl2onnx's converter API
(onnxmltools' ``convert_lightgbm`` / ``convert_xgboost``, the functions
skl2onnx's documentation registers for these boosters), and the classifier
outputs come from skl2onnx's classifier parser
(``skl2onnx._parse._parse_sklearn_classifier``, checked by signature).
Tested with skl2onnx 1.20, onnxmltools 1.16, onnx 1.23 and onnxruntime 1.32
(:data:`TESTED_VERSIONS`); anything else unexpected raises ``RuntimeError``.
"""

from __future__ import annotations

import inspect
import json
import math
import numbers
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

try:
    import onnx
    import onnxmltools  # noqa: F401  (the tree converters below live in it)
    import skl2onnx
    from onnx import numpy_helper
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
    from skl2onnx.common.utils_classifier import get_label_classes
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "focalboost.onnx needs skl2onnx, onnxmltools and onnx; install them with "
        "`pip install 'focalboost[onnx]'`."
    ) from exc

from sklearn.pipeline import Pipeline

from focalboost.calibration import (
    BetaCalibrator,
    FocalCalibrator,
    SigmoidCalibrator,
    TemperatureCalibrator,
)
from focalboost.loss import BinaryFocalLoss, SoftmaxFocalLoss

__all__ = [
    "MIN_ML_OPSET",
    "MIN_OPSET",
    "SUPPORTED_CALIBRATIONS",
    "TESTED_VERSIONS",
    "check_exportable",
    "to_onnx",
]

#: ``calibration`` values whose probabilities the exported graph reproduces
SUPPORTED_CALIBRATIONS: tuple[Any, ...] = (None, "focal", "sigmoid", "temperature", "beta")
#: versions the export was tested with (see the module docstring's version fence)
TESTED_VERSIONS = "skl2onnx 1.20, onnxmltools 1.16, onnx 1.23, onnxruntime 1.32"
#: lowest main-domain opset of the graph (Softmax over one axis, GreaterOrEqual)
MIN_OPSET = 13
#: ``ai.onnx.ml`` opset of the tree ensemble (float64 thresholds as tensors)
MIN_ML_OPSET = 3

_ML = "ai.onnx.ml"
_TINY = float(np.finfo(np.float64).tiny)
_PROBA_INPUT_TYPES = (FloatTensorType, DoubleTensorType, Int64TensorType, BooleanTensorType)


# ---------------------------------------------------------------------------- the fence


def _classifier_parser() -> Any:
    """skl2onnx's parser of classifiers (label + probabilities, ZipMap), behind a fence."""
    try:
        from skl2onnx._parse import _parse_sklearn_classifier
    except ImportError:  # pragma: no cover - depends on the installed skl2onnx
        _parse_sklearn_classifier = None
    params = (
        None if _parse_sklearn_classifier is None
        else tuple(inspect.signature(_parse_sklearn_classifier).parameters)
    )
    if params != ("scope", "model", "inputs", "custom_parsers"):  # pragma: no cover
        raise RuntimeError(
            "focalboost.onnx uses skl2onnx's classifier parser "
            "skl2onnx._parse._parse_sklearn_classifier(scope, model, inputs, custom_parsers) "
            f"as found in the tested versions ({TESTED_VERSIONS}); skl2onnx "
            f"{skl2onnx.__version__} does not have it. Install a tested skl2onnx version."
        )
    return _parse_sklearn_classifier


_PARSE_CLASSIFIER = _classifier_parser()


# ---------------------------------------------------------------------------- validation


def _focal_classes() -> tuple[type, ...]:
    out = []
    try:
        from focalboost.lightgbm import FocalLGBMClassifier

        out.append(FocalLGBMClassifier)
    except ImportError:  # pragma: no cover - without lightgbm
        pass
    try:
        from focalboost.xgboost import FocalXGBClassifier

        out.append(FocalXGBClassifier)
    except ImportError:  # pragma: no cover - without xgboost
        pass
    return tuple(out)


_FOCAL_CLASSES = _focal_classes()


def _is_focal(model: Any) -> bool:
    return isinstance(model, _FOCAL_CLASSES)


def _probability_map(model: Any) -> str:
    """What ``predict_proba`` applies to the margins: "link", "focal" or a calibrator's method.

    Mirrors :meth:`focalboost.estimators.FocalClassifierMixin._proba_from_raw`.
    """
    if model.calibration is None:
        return "link"
    if model.calibration == "focal" or model.calibrator_ is None:
        return "focal"
    cal = model.calibrator_
    if not isinstance(cal, FocalCalibrator):
        raise ValueError(
            f"calibrator_ is a {type(cal).__name__}, which focalboost.onnx cannot export; "
            f"exported calibrations: {_names(SUPPORTED_CALIBRATIONS)}."
        )
    return cal.method


def _names(values: Sequence[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def _class_labels(model: Any) -> tuple[np.ndarray, str]:
    """Class labels as ONNX will hold them, and their kind ("int64" or "string")."""
    classes = np.asarray(model.classes_)
    if classes.dtype == np.bool_ or np.issubdtype(classes.dtype, np.integer):
        return classes.astype(np.int64), "int64"
    if np.issubdtype(classes.dtype, np.floating):
        if not np.all(np.isfinite(classes)) or np.any(classes != np.round(classes)):
            raise ValueError(
                f"class labels {classes.tolist()} are floats that are not integers; ONNX "
                "classifiers hold int64 or string labels (as skl2onnx's). Fit on integer or "
                "string labels to export the model."
            )
        return classes.astype(np.int64), "int64"
    if all(isinstance(c, str) for c in classes.tolist()):
        return np.array(classes.tolist(), dtype=object), "string"
    raise ValueError(
        f"class labels {classes.tolist()!r} mix types or are neither integers nor strings; ONNX "
        "classifiers hold int64 or string labels."
    )


def _check_lightgbm(model: Any) -> None:
    text = model.booster_.model_to_string(num_iteration=-1)
    if "\nis_linear=1\n" in text:
        raise ValueError(
            "the model has linear trees (linear_tree=True); ONNX tree ensembles hold a "
            "constant per leaf, so focalboost.onnx cannot export it."
        )


def _xgb_config(booster: Any) -> dict:
    return json.loads(booster.save_config())


def _check_xgboost(model: Any) -> None:
    booster = model.get_booster()
    config = _xgb_config(booster)
    name = config["learner"]["gradient_booster"]["name"]
    if name != "gbtree":
        raise ValueError(
            f"booster={name!r}: focalboost.onnx exports booster='gbtree' only (ONNX tree "
            "ensembles hold neither linear models nor DART's tree weights)."
        )
    strategy = config["learner"].get("learner_train_param", {}).get(
        "multi_strategy", "one_output_per_tree")
    if strategy != "one_output_per_tree":
        raise ValueError(
            f"multi_strategy={strategy!r}: focalboost.onnx exports one tree per class and "
            "iteration ('one_output_per_tree') only."
        )
    missing = model.missing
    try:
        nan_marker = missing is None or math.isnan(float(missing))
    except (TypeError, ValueError):
        nan_marker = False
    if not nan_marker:
        raise ValueError(
            f"missing={missing!r}: in ONNX only NaN marks a missing value, so a model trained "
            "with another missing-value marker cannot be exported; use missing=np.nan."
        )
    if model.n_classes_ > 2:
        info = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]["model"]
        k = model.n_classes_
        if any(int(c) != i % k for i, c in enumerate(info["tree_info"])):
            raise ValueError(
                "the trees are not ordered one per class within each iteration "
                "(num_parallel_tree > 1?); focalboost.onnx cannot assign them to classes."
            )


def check_exportable(model: Any) -> None:
    """Raise if ``model`` (or a focal step of a Pipeline) cannot be exported to ONNX.

    Runs before any conversion work: :func:`to_onnx` calls it first, and the
    parser registered with skl2onnx calls it when :func:`skl2onnx.to_onnx`
    reaches a focal classifier (parsing precedes every converter).

    Parameters
    ----------
    model : FocalLGBMClassifier, FocalXGBClassifier or Pipeline
        A fitted estimator.

    Raises
    ------
    ValueError
        If the probabilities come from a calibration that does not export
        (``"isotonic"``, or a calibrator that is not focalboost's), or the
        model uses something ONNX tree ensembles cannot hold (LightGBM linear
        trees, XGBoost ``gblinear`` / ``dart`` / multi-output trees, a
        ``missing`` marker other than NaN), or class labels are neither
        integers nor strings.
    sklearn.exceptions.NotFittedError
        If the model is not fitted.
    """
    if isinstance(model, Pipeline):
        for _, step in model.steps:
            if _is_focal(step):
                check_exportable(step)
        return
    if not _is_focal(model):
        return
    model._check_focal_fitted()
    if getattr(model, "n_labels_", None):
        raise ValueError(
            f"multi-label models ({model.n_labels_} labels) cannot be exported to ONNX yet; "
            "focalboost.onnx exports binary and multiclass focal classifiers."
        )
    method = _probability_map(model)
    if method not in ("link", "focal", *SUPPORTED_CALIBRATIONS):
        raise ValueError(
            f"calibration={method!r} cannot be exported to ONNX: the fitted isotonic map is "
            "piecewise linear and steep (slopes in the thousands on real tables), so the "
            "float32 rounding of the tree margins in ONNX can move its probabilities by "
            "more than 1e-5. Exported calibrations: "
            f"{_names(SUPPORTED_CALIBRATIONS)}; refit with one of them (for example "
            "calibration='sigmoid' or 'beta')."
        )
    _class_labels(model)
    if model._booster_name == "lightgbm":
        _check_lightgbm(model)
    else:
        _check_xgboost(model)


def to_onnx(model: Any, X_sample: Any = None, **kwargs: Any) -> onnx.ModelProto:
    """Convert a fitted focal classifier (or a Pipeline ending in one) to ONNX.

    :func:`check_exportable`, then :func:`skl2onnx.to_onnx` with the
    converters of this module.

    Parameters
    ----------
    model : FocalLGBMClassifier, FocalXGBClassifier or Pipeline
    X_sample : array-like or DataFrame, optional
        A few rows; their type defines the graph's inputs (as in skl2onnx).
        Float64 rows give a float64 input (recommended for LightGBM models).
    **kwargs
        Keyword arguments of :func:`skl2onnx.to_onnx`: ``options`` (for
        example ``{"zipmap": False}``), ``target_opset``, ``initial_types``,
        ``name``, ...

    Returns
    -------
    onnx.ModelProto
    """
    check_exportable(model)
    return skl2onnx.to_onnx(model, X_sample, **kwargs)


# ---------------------------------------------------------------------------- parser, shapes


def _parse_focal(scope: Any, model: Any, inputs: list, custom_parsers: Any = None) -> Any:
    """skl2onnx parser: check the model, then parse it as skl2onnx parses classifiers."""
    check_exportable(model)
    return _PARSE_CLASSIFIER(scope, model, inputs, custom_parsers=custom_parsers)


def _n_columns(variable: Any) -> int | None:
    shape = getattr(variable.type, "shape", None)
    if shape is None or len(shape) != 2 or not isinstance(shape[1], numbers.Integral):
        return None
    return int(shape[1])


def _float64_output(operator: Any) -> bool:
    """Float64 probabilities: a float64 input, unless they feed ZipMap (float32 only)."""
    model = operator.raw_operator
    zipmap = operator.scope_inst.get_options(model, {"zipmap": True})["zipmap"]
    double_in = any(isinstance(v.type, DoubleTensorType) for v in operator.inputs)
    return double_in and zipmap is not True


def _focal_shapes(operator: Any) -> None:
    """Shape calculator: inputs (n, n_features) in one or more pieces; label and probabilities."""
    model = operator.raw_operator
    if len(operator.outputs) != 2:
        raise RuntimeError(f"{type(model).__name__} has two ONNX outputs, label and probabilities.")
    for v in operator.inputs:
        if not isinstance(v.type, _PROBA_INPUT_TYPES):
            raise TypeError(
                f"input {v.onnx_name!r} of {type(model).__name__} has type "
                f"{type(v.type).__name__}; use float, double, int64 or bool tensors."
            )
    widths = [_n_columns(v) for v in operator.inputs]
    n_features = model.n_features_in_
    if all(w is not None for w in widths) and sum(widths) != n_features:
        raise ValueError(
            f"the ONNX inputs have {sum(widths)} columns in all; {type(model).__name__} was "
            f"fitted on {n_features} features."
        )
    n = operator.inputs[0].get_first_dimension()
    labels = get_label_classes(operator.scope_inst, model)
    string_labels = labels.dtype.kind in "OUS"
    operator.outputs[0].type = StringTensorType([n]) if string_labels else Int64TensorType([n])
    proba_type = DoubleTensorType if _float64_output(operator) else FloatTensorType
    operator.outputs[1].type = proba_type([n, len(model.classes_)])


# ---------------------------------------------------------------------------- graph builder

_ONNX_TYPES = {
    np.dtype(np.float64): onnx.TensorProto.DOUBLE,
    np.dtype(np.float32): onnx.TensorProto.FLOAT,
    np.dtype(np.int64): onnx.TensorProto.INT64,
    np.dtype(np.bool_): onnx.TensorProto.BOOL,
}


class _Graph:
    """Nodes and constants added through skl2onnx's scope and container.

    ``g.op("Add", a, b)`` adds a node and returns the name of its output;
    ``g.c(value)`` returns the name of a float64 constant (shared by value).
    """

    def __init__(self, scope: Any, container: Any) -> None:
        self.scope = scope
        self.container = container
        self.opset = container.target_opset_any_domain("")
        self._consts: dict[tuple, str] = {}

    def name(self, hint: str) -> str:
        return self.scope.get_unique_variable_name(hint)

    def const(self, value: Any, dtype: Any = np.float64, hint: str = "c") -> str:
        arr = np.asarray(value, dtype=dtype)
        key = (arr.dtype.str, arr.shape, arr.tobytes() if arr.dtype != object else repr(arr))
        if key not in self._consts:
            name = self.name(hint)
            if arr.dtype == object:
                content = [str(v).encode("utf-8") for v in arr.ravel()]
                self.container.add_initializer(
                    name, onnx.TensorProto.STRING, list(arr.shape), content)
            else:
                self.container.add_initializer(
                    name, _ONNX_TYPES[arr.dtype], list(arr.shape), arr.ravel().tolist())
            self._consts[key] = name
        return self._consts[key]

    def c(self, value: Any) -> str:
        return self.const(value)

    def op(self, op_type: str, *inputs: str, out: str | None = None, domain: str = "",
           version: int | None = None, **attrs: Any) -> str:
        out = out or self.name(op_type.lower())
        self.container.add_node(
            op_type, list(inputs), [out], op_domain=domain, op_version=version,
            name=self.scope.get_unique_operator_name(op_type), **attrs)
        return out

    def reduce_max(self, x: str) -> str:
        """Row maximum, shape (n, 1)."""
        if self.opset >= 18:  # axes became an input in opset 18
            return self.op("ReduceMax", x, self.const([1], np.int64), keepdims=1)
        return self.op("ReduceMax", x, axes=[1], keepdims=1)

    def row_sum(self, x: str, k: int) -> str:
        """Row sums of an (n, k) float64 tensor, shape (n, 1)."""
        return self.op("MatMul", x, self.c(np.ones((k, 1))))

    def binary_columns(self, p: str) -> str:
        """``[1 - p, p]`` (n, 2) from the (n, 1) positive-class probability."""
        return self.op("Concat", self.op("Sub", self.c(1.0), p), p, axis=1)


# ---------------------------------------------------------------------------- formulas


def _log1p_parts(g: _Graph, x: str) -> tuple[str, str]:
    """``(log1p(x), log1p(x) / x)`` for ``x >= 0``, stable.

    ONNX has no Log1p.  With ``w = 1 + x`` rounded, ``log1p(x) = log(w) x / (w - 1)``
    is accurate to a few ulps (Goldberg 1991, theorem 4); where ``w == 1``,
    ``log1p(x) = x`` and the ratio is 1.
    """
    w = g.op("Add", g.c(1.0), x)
    d = g.op("Sub", w, g.c(1.0))
    exact = g.op("Equal", d, g.c(0.0))
    ratio = g.op("Where", exact, g.c(1.0),
                 g.op("Div", g.op("Log", w), g.op("Where", exact, g.c(1.0), d)))
    return g.op("Mul", ratio, x), ratio


def _sigmoid(g: _Graph, x: str) -> str:
    """``σ(x)`` from ``e = exp(-|x|)``: ``1 / (1 + e)`` or ``e / (1 + e)``, both tails kept.

    onnxruntime 1.32's Sigmoid on float64 is accurate in absolute terms only
    (measured: relative error 1e-3 at -30, and 0 below -37), which would lose
    the small probabilities that the focal map keeps.
    """
    e = g.op("Exp", g.op("Neg", g.op("Abs", x)))
    top = g.op("Where", g.op("GreaterOrEqual", x, g.c(0.0)), g.c(1.0), e)
    return g.op("Div", top, g.op("Add", g.c(1.0), e))


def _softplus(g: _Graph, x: str) -> str:
    """``log(1 + e^x) = max(x, 0) + log1p(e^{-|x|})``, finite for every finite x."""
    e = g.op("Exp", g.op("Neg", g.op("Abs", x)))
    return g.op("Add", g.op("Max", x, g.c(0.0)), _log1p_parts(g, e)[0])


def _log_f(g: _Graph, u: str, gamma: Any) -> str:
    """``log f(σ(u)) = γ log q - log p + log1p(γ p R)``, as :func:`focalboost._formulas.log_f`.

    ``gamma``: a number, or a (1, K) array of one value per column of ``u``.

    ``e = exp(-|u|)``, ``l1 = log1p(e)``; for ``u >= 0``: ``p = 1 / (1 + e)``,
    ``log p = -l1``, ``log q = -(u + l1)``, ``R = (1 + e) l1 / e`` (1 at e = 0);
    for ``u < 0``: ``p = e / (1 + e)``, ``log p = u - l1``, ``log q = -l1``,
    ``R = (l1 - u) (1 + e)``.  Every branch is finite for every finite ``u``.
    """
    e = g.op("Exp", g.op("Neg", g.op("Abs", u)))
    one_e = g.op("Add", g.c(1.0), e)
    l1, l1_over_e = _log1p_parts(g, e)
    pos = g.op("GreaterOrEqual", u, g.c(0.0))
    p = g.op("Div", g.op("Where", pos, g.c(1.0), e), one_e)
    log_p = g.op("Where", pos, g.op("Neg", l1), g.op("Sub", u, l1))
    log_q = g.op("Where", pos, g.op("Neg", g.op("Add", u, l1)), g.op("Neg", l1))
    ratio = g.op("Where", pos, g.op("Mul", one_e, l1_over_e),
                 g.op("Mul", g.op("Sub", l1, u), one_e))
    gp_r = g.op("Mul", g.op("Mul", g.c(gamma), p), ratio)
    head = g.op("Sub", g.op("Mul", g.c(gamma), log_q), log_p)
    return g.op("Add", head, _log1p_parts(g, gp_r)[0])


def _binary_posterior_logit(g: _Graph, z: str, loss: BinaryFocalLoss) -> str:
    """``logit η = log_f_{γ0}(-z) - log_f_{γ1}(z) - log(a_pos / a_neg)`` of (n, 1) margins."""
    lf_neg = _log_f(g, g.op("Neg", z), loss._g_neg)
    lf_pos = _log_f(g, z, loss._g_pos)
    shift = math.log(loss._a_pos / loss._a_neg)
    return g.op("Sub", g.op("Sub", lf_neg, lf_pos), g.c(shift))


def _softmax_posterior(g: _Graph, z: str, loss: SoftmaxFocalLoss, k: int) -> str:
    """Posteriors ``η ∝ h(p_k) / α_k`` of (n, K) margins, as ``_formulas.softmax_posterior``.

    Each class's margin ``m_j = z_j - LSE_{i≠j} z_i`` is formed around the
    row's largest margin (the first one on ties, as ``np.argmax``).  Where
    every other class is more than 708 below the top one (``rest`` below the
    smallest normal float64), ``rest`` is raised to it rather than to the
    smallest subnormal: the probabilities are the same in float64, and
    runtimes that flush subnormals get the same graph.
    """
    log_alpha = np.log(loss.class_weights(k)).reshape(1, k)
    top = g.op("ArgMax", z, axis=1, keepdims=1)
    big = g.reduce_max(z)
    shifted = g.op("Sub", z, big)
    ez = g.op("Exp", shifted)
    is_top = g.op("Equal", top, g.const(np.arange(k).reshape(1, k), np.int64))
    rest = g.row_sum(g.op("Where", is_top, g.c(0.0), ez), k)
    m_top = g.op("Neg", g.op("Log", g.op("Max", rest, g.c(_TINY))))
    others = g.op("Add", g.c(1.0), g.op("Sub", rest, ez))
    m_other = g.op("Sub", shifted, g.op("Log", g.op("Where", is_top, g.c(1.0), others)))
    m = g.op("Where", is_top, m_top, m_other)
    gammas = loss.class_gammas(k)
    gamma = float(gammas[0]) if np.all(gammas == gammas[0]) else gammas.reshape(1, k)
    v = g.op("Sub", g.op("Neg", _log_f(g, m, gamma)), g.c(log_alpha))
    return g.op("Softmax", v, axis=1)


def _log_posteriors(g: _Graph, proba: str) -> str:
    """``log max(η, tiny)``, the multiclass score of :func:`focalboost.calibration.focal_score`."""
    return g.op("Log", g.op("Max", proba, g.c(_TINY)))


def _ovr_logits(g: _Graph, s: str, k: int) -> str:
    """``s_k - log Σ_{j≠k} exp s_j`` of (n, K) log posteriors (all <= 0 and >= log tiny).

    The sums are taken around the row's maximum ``M``: ``s_j - M >= log tiny``,
    so no term underflows to zero, and each class's sum of the others is a
    matrix product with ``1 - I`` (a sum of positive terms, no cancellation).
    """
    top = g.reduce_max(s)
    e = g.op("Exp", g.op("Sub", s, top))
    others = g.op("MatMul", e, g.c(np.ones((k, k)) - np.eye(k)))
    return g.op("Sub", s, g.op("Add", top, g.op("Log", others)))


def _normalise(g: _Graph, p: str, k: int) -> str:
    """Rows divided by their sums; all-zero rows uniform (as :mod:`focalboost.calibration`)."""
    total = g.row_sum(p, k)
    positive = g.op("Greater", total, g.c(0.0))
    ratio = g.op("Div", p, g.op("Where", positive, total, g.c(1.0)))
    return g.op("Where", positive, ratio, g.c(np.full((1, k), 1.0 / k)))


def _probabilities(g: _Graph, model: Any, z: str) -> str:
    """Float64 (n, K) probabilities of float64 margins ``z`` ((n, 1) binary), as predict_proba."""
    method = _probability_map(model)
    k = model.n_classes_
    if method == "link":
        if k == 2:
            return g.op("Concat", _sigmoid(g, g.op("Neg", z)), _sigmoid(g, z), axis=1)
        return g.op("Softmax", z, axis=1)
    loss = model.loss_ if method == "focal" else model.calibrator_.loss
    if k == 2:
        s = _binary_posterior_logit(g, z, loss)
        if method == "focal":
            return g.op("Concat", _sigmoid(g, g.op("Neg", s)), _sigmoid(g, s), axis=1)
    else:
        proba = _softmax_posterior(g, z, loss, k)
        if method == "focal":
            return proba
        s = _log_posteriors(g, proba)
    cal = model.calibrator_.calibrator
    if isinstance(cal, SigmoidCalibrator):
        a, b = cal.coef_[:, 0], cal.coef_[:, 1]
        if k == 2:
            logit = g.op("Add", g.op("Mul", s, g.c(float(a[0]))), g.c(float(b[0])))
            return g.binary_columns(_sigmoid(g, logit))
        logit = g.op("Add", g.op("Mul", _ovr_logits(g, s, k), g.c(a.reshape(1, k))),
                     g.c(b.reshape(1, k)))
        return _normalise(g, _sigmoid(g, logit), k)
    if isinstance(cal, TemperatureCalibrator):
        scaled = g.op("Div", s, g.c(cal.temperature_))
        if k == 2:
            return g.binary_columns(_sigmoid(g, scaled))
        return g.op("Softmax", scaled, axis=1)
    if isinstance(cal, BetaCalibrator):
        # ln p = -softplus(-s), -ln(1 - p) = softplus(s) for p = σ(s)
        log_p = g.op("Neg", _softplus(g, g.op("Neg", s)))
        log_1mp = _softplus(g, s)
        logit = g.op("Add", g.op("Add", g.op("Mul", log_p, g.c(cal.a_)),
                                 g.op("Mul", log_1mp, g.c(cal.b_))), g.c(cal.c_))
        return g.binary_columns(_sigmoid(g, logit))
    raise ValueError(  # pragma: no cover - check_exportable refuses the others first
        f"calibrator {type(cal).__name__} cannot be exported; exported calibrations: "
        f"{_names(SUPPORTED_CALIBRATIONS)}."
    )


# ---------------------------------------------------------------------------- trees


class _Named:
    def __init__(self, name: str) -> None:
        self.full_name = name
        self.onnx_name = name


class _TreeOperator:
    """The operator that onnxmltools' converter sees: the booster view, names of in/outputs."""

    def __init__(self, raw: Any, scope: Any) -> None:
        self.raw_operator = raw
        self.full_name = scope.get_unique_operator_name("focal_trees")
        self.inputs = [_Named(scope.get_unique_variable_name("trees_in"))]
        self.outputs = [_Named(scope.get_unique_variable_name("trees_label")),
                        _Named(scope.get_unique_variable_name("trees_proba"))]
        self.input_full_names = [v.full_name for v in self.inputs]
        self.output_full_names = [v.full_name for v in self.outputs]


class _TreeCapture:
    """Stands in for skl2onnx's container while an onnxmltools converter runs.

    It keeps the attributes of the tree-ensemble node the converter adds,
    before they are serialised (so LightGBM's float64 thresholds and leaf
    values are still Python floats), and drops the nodes that only forward
    that node's outputs.  Anything else the converter asks for means a
    version focalboost.onnx was not tested with.
    """

    verbose = 0
    _FORWARDING = ("Identity",)

    def __init__(self) -> None:
        self.trees: list[tuple[str, dict]] = []
        self.other: list[str] = []

    def add_node(self, op_type: str, inputs: Any, outputs: Any, op_domain: str = "",
                 op_version: int | None = None, name: str | None = None, **attrs: Any) -> None:
        if op_type in ("TreeEnsembleClassifier", "TreeEnsembleRegressor"):
            self.trees.append((op_type, attrs))
        elif op_type not in self._FORWARDING:
            self.other.append(op_type)

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(
            f"onnxmltools' tree converter used container.{name}, which focalboost.onnx does not "
            f"capture; it was tested with {TESTED_VERSIONS}. Install a tested onnxmltools."
        )


class _LightGBMView:
    """What onnxmltools' LightGBM converter reads of a classifier: booster, classes, boosting."""

    def __init__(self, model: Any) -> None:
        self.booster_ = model.booster_
        self.classes_ = np.arange(model.n_classes_)  # labels are applied by the focal graph
        self.boosting_type = model.boosting_type


def _xgboost_view(model: Any) -> Any:
    """A plain XGBClassifier with a copy of the booster (binary:logistic or multi:softprob).

    The copy has no feature names: onnxmltools reads split features from the
    tree dump, as ``f<index>`` when the booster has no names.  Its
    ``base_score`` is set to the neutral 0.5: only the converter's tree nodes
    are kept (the intercept comes from
    :func:`focalboost.xgboost.booster_intercept`), and a
    booster whose init score lies beyond the logistic intercept's range keeps
    a margin there under ``reg:squarederror``, which the converter refuses
    (and would pass through ``log(1 / p - 1)``); the view declares
    ``binary:logistic`` then, which does not change the trees.
    """
    import xgboost as xgb

    view = xgb.XGBClassifier()
    view.load_model(bytearray(model.get_booster().save_raw("ubj")))
    view.get_booster().feature_names = None
    neutral: dict[str, Any] = {"base_score": 0.5}
    if model.n_classes_ == 2:  # an identity-link booster (extreme init score) reads as binary
        neutral["objective"] = view.objective = "binary:logistic"
    view.get_booster().set_param(neutral)
    return view


def _capture_trees(scope: Any, model: Any) -> dict:
    """The tree attributes onnxmltools' converter builds for ``model``'s booster.

    The converters emit a ``TreeEnsembleClassifier`` with the link as its
    post-transform (``LOGISTIC`` / ``SOFTMAX``), whose binary output is
    ``[1 - σ, σ]`` in float32: no raw margins, and σ rounds to 1 in float32
    beyond z ≈ 16.6.  Their node attributes (structure, thresholds, missing
    directions, categorical splits unfolded into equality chains) are what
    this function keeps; :func:`_tree_margins` re-emits them as a
    ``TreeEnsembleRegressor`` with no post-transform, one target per class.
    """
    capture = _TreeCapture()
    if model._booster_name == "lightgbm":
        from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm

        convert_lightgbm(scope, _TreeOperator(_LightGBMView(model), scope), capture)
    else:
        from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost

        convert_xgboost(scope, _TreeOperator(_xgboost_view(model), scope), capture)
    if len(capture.trees) != 1 or capture.trees[0][0] != "TreeEnsembleClassifier" or (
            capture.other):
        raise RuntimeError(
            f"onnxmltools' converter produced {[t for t, _ in capture.trees] + capture.other} "
            "instead of one TreeEnsembleClassifier; focalboost.onnx was tested with "
            f"{TESTED_VERSIONS}."
        )
    attrs = capture.trees[0][1]
    needed = ("nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes",
              "nodes_values", "nodes_truenodeids", "nodes_falsenodeids",
              "nodes_missing_value_tracks_true", "class_treeids", "class_nodeids",
              "class_ids", "class_weights")
    missing = [key for key in needed if key not in attrs]
    if missing:
        raise RuntimeError(
            f"onnxmltools' tree node lacks {missing}; focalboost.onnx was tested with "
            f"{TESTED_VERSIONS}."
        )
    return attrs


def _tree_margins(g: _Graph, model: Any, features: str) -> str:
    """Float32 raw margins (n, 1) or (n, K) of the trees, init score included."""
    if g.container.target_opset_any_domain(_ML) < MIN_ML_OPSET:
        raise RuntimeError(
            f"focalboost.onnx needs target opset {MIN_ML_OPSET} or more for domain "
            f"{_ML!r} (TreeEnsembleRegressor with float64 thresholds)."
        )
    attrs = _capture_trees(g.scope, model)
    k = model.n_classes_
    targets = 1 if k == 2 else k
    out: dict[str, Any] = {
        key: list(attrs[key]) for key in (
            "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes",
            "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true")
    }
    out["target_treeids"] = list(attrs["class_treeids"])
    out["target_nodeids"] = list(attrs["class_nodeids"])
    # binary: every leaf feeds the single margin; multiclass: tree i feeds class i % K
    out["target_ids"] = [0] * len(attrs["class_ids"]) if k == 2 else list(attrs["class_ids"])
    thresholds = np.asarray(attrs["nodes_values"], dtype=np.float64)
    leaves = np.asarray(attrs["class_weights"], dtype=np.float64)
    if model._booster_name == "lightgbm":
        # float64 like LightGBM: thresholds and leaves as float64 tensors, input float64
        out["nodes_values_as_tensor"] = numpy_helper.from_array(thresholds)
        out["target_weights_as_tensor"] = numpy_helper.from_array(leaves)
        # the init score is in the first iteration's leaves (fold_init_score)
    else:
        # float32 like XGBoost: its thresholds, leaves and intercept are float32 values
        out["nodes_values"] = thresholds.astype(np.float32).tolist()
        out["target_weights"] = leaves.astype(np.float32).tolist()
        from focalboost.xgboost import booster_intercept

        out["base_values"] = [float(v) for v in np.ravel(booster_intercept(model.get_booster()))]
    return g.op("TreeEnsembleRegressor", features, domain=_ML, version=MIN_ML_OPSET,
                n_targets=targets, post_transform="NONE", aggregate_function="SUM", **out)


def _feature_matrix(g: _Graph, operator: Any, model: Any) -> str:
    """The model's features as one (n, n_features) tensor in the trees' dtype.

    Several inputs (one per column of a pandas sample) are concatenated in the
    order of the model's ``feature_names_in_`` when it has them, matched by
    name (LightGBM and skl2onnx both replace characters such as spaces by
    ``_``, so names are compared that way), else in the order given.
    """
    to = onnx.TensorProto.DOUBLE if model._booster_name == "lightgbm" else onnx.TensorProto.FLOAT
    inputs = list(operator.inputs)
    names = getattr(model, "feature_names_in_", None)
    if len(inputs) > 1 and names is not None:
        by_name = {_name_key(v.raw_name): v for v in inputs}
        wanted = [_name_key(n) for n in names]
        if len(by_name) != len(inputs) or sorted(by_name) != sorted(wanted):
            raise ValueError(
                f"the ONNX inputs {[v.raw_name for v in inputs]} are not the features the model "
                f"was fitted on ({[str(n) for n in names]}); pass a sample with the training "
                "columns."
            )
        inputs = [by_name[w] for w in wanted]
    cast = [g.op("Cast", v.full_name, to=to) for v in inputs]
    return cast[0] if len(cast) == 1 else g.op("Concat", *cast, axis=1)


def _name_key(name: Any) -> str:
    return re.sub(r"\W", "_", str(name))


# ---------------------------------------------------------------------------- converter


def _convert_focal(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx converter of the focal classifiers: trees -> margins -> probabilities, label."""
    model = operator.raw_operator
    g = _Graph(scope, container)
    if g.opset < MIN_OPSET:
        raise RuntimeError(
            f"focalboost.onnx needs target opset {MIN_OPSET} or more (got {g.opset})."
        )
    margins = _tree_margins(g, model, _feature_matrix(g, operator, model))
    proba = _probabilities(g, model, g.op("Cast", margins, to=onnx.TensorProto.DOUBLE))
    index = g.op("ArgMax", proba, axis=1, keepdims=0)
    options = container.get_options(model, {"nocl": False})
    label_out = operator.outputs[0].full_name
    if options["nocl"]:
        g.op("Identity", index, out=label_out)
    else:
        labels, kind = _class_labels(model)
        table = g.const(labels, object if kind == "string" else np.int64, hint="classes")
        g.op("Gather", table, index, axis=0, out=label_out)
    proba_out = operator.outputs[1].full_name
    if isinstance(operator.outputs[1].type, DoubleTensorType):
        g.op("Identity", proba, out=proba_out)
    else:
        g.op("Cast", proba, out=proba_out, to=onnx.TensorProto.FLOAT)


def _register() -> None:
    for cls in _FOCAL_CLASSES:
        update_registered_converter(
            cls,
            f"Focalboost{cls.__name__}",
            _focal_shapes,
            _convert_focal,
            parser=_parse_focal,
            options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
        )


_register()
