"""ONNX export of focal models (issue #15), checked with onnxruntime.

Oracles: onnxruntime running the exported graph against the fitted
estimator's own ``predict_proba`` / ``predict`` (the acceptance criterion:
max |dp| <= 1e-5 and identical labels on 2,000 held-out rows), and, at
extreme margins and for the graph's focal map fed margins directly, the
focal-to-posterior map evaluated with mpmath at 60 digits in its closed form
``η ∝ h(p) / α`` (FOCAL_MATH.md section 6.2), not in the log-space form the
library and the graph use.  The suite skips (with the reason) only where the
onnx extra or onnxruntime is not installed; the test extra installs both.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest

pytest.importorskip("onnx", reason="the onnx extra is not installed")
pytest.importorskip("skl2onnx", reason="the onnx extra is not installed")
pytest.importorskip("onnxmltools", reason="the onnx extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime (test extra) is not installed")

import lightgbm as lgb  # noqa: E402
import mpmath  # noqa: E402
import onnx  # noqa: E402
import pandas as pd  # noqa: E402
import skl2onnx  # noqa: E402
from numpy.testing import assert_array_equal  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import focalboost.onnx as fonnx  # noqa: E402
from focalboost import lightgbm as fl_lgb  # noqa: E402
from focalboost import xgboost as fl_xgb  # noqa: E402
from focalboost.lightgbm import FocalLGBMClassifier  # noqa: E402
from focalboost.xgboost import FocalXGBClassifier  # noqa: E402

TOL = 1e-5
N_TEST = 2000
BOOSTERS = ("lightgbm", "xgboost")
LGB_KW = {"n_estimators": 25, "num_leaves": 15, "verbose": -1, "random_state": 0, "n_jobs": 1}
XGB_KW = {"n_estimators": 25, "max_depth": 4, "random_state": 0, "n_jobs": 1}
CALIBRATIONS = list(fonnx.SUPPORTED_CALIBRATIONS)
CASES = [(b, k, c) for b in BOOSTERS for k in (2, 3) for c in CALIBRATIONS
         if not (k == 3 and c == "beta")]


def focal(which: str, **kw):
    if which == "lightgbm":
        return FocalLGBMClassifier(**{**LGB_KW, **kw})
    return FocalXGBClassifier(**{**XGB_KW, **kw})


@functools.cache
def data(n_classes: int):
    X, y = make_classification(
        n_samples=2000 + N_TEST, n_features=8, n_informative=5, n_classes=n_classes,
        n_clusters_per_class=1, weights=[0.9] if n_classes == 2 else [0.6, 0.3],
        flip_y=0.05, random_state=n_classes,
    )
    return X[:2000], y[:2000], X[2000:], y[2000:]


@functools.cache
def fitted(booster: str, n_classes: int, calibration, pipeline: bool = False):
    X, y, _, _ = data(n_classes)
    alpha = 0.25 if n_classes == 2 else "balanced"
    clf = focal(booster, gamma=2.0, alpha=alpha, calibration=calibration, calibration_cv=2)
    model = make_pipeline(StandardScaler(), clf) if pipeline else clf
    return model.fit(X, y)


def session(onx: onnx.ModelProto):
    return ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])


def run(onx: onnx.ModelProto, X) -> list:
    sess = session(onx)
    return sess.run(None, {sess.get_inputs()[0].name: X})


def focal_step(model):
    return model.steps[-1][1] if hasattr(model, "steps") else model


def no_zipmap(model) -> dict:
    return {type(focal_step(model)): {"zipmap": False}}


# ---------------------------------------------------------------------------- acceptance


@pytest.mark.parametrize("pipeline", [False, True], ids=["estimator", "pipeline"])
@pytest.mark.parametrize(("booster", "n_classes", "calibration"), CASES)
def test_onnxruntime_matches_predict_proba(booster, n_classes, calibration, pipeline):
    model = fitted(booster, n_classes, calibration, pipeline)
    _, _, X_test, _ = data(n_classes)
    onx = skl2onnx.to_onnx(model, X_test[:1], options=no_zipmap(model))
    label, proba = run(onx, X_test)
    ref = model.predict_proba(X_test)
    assert proba.dtype == np.float64
    assert proba.shape == ref.shape
    assert np.abs(proba - ref).max() <= TOL
    assert_array_equal(label, model.predict(X_test))
    if calibration != "focal":
        # the graph really holds this calibration, not the focal map: they differ here
        clf = focal_step(model)
        margins = model.decision_function(X_test)
        assert np.abs(ref - clf.loss_.posterior_proba(margins)).max() > 100 * TOL


@pytest.mark.parametrize("booster", BOOSTERS)
def test_float32_input(booster):
    """A float32 sample gives a float32 input and float32 probabilities (skl2onnx's default)."""
    model = fitted(booster, 3, "temperature")
    _, _, X_test, _ = data(3)
    X32 = X_test.astype(np.float32)
    label, proba = run(fonnx.to_onnx(model, X32[:1], options=no_zipmap(model)), X32)
    ref = model.predict_proba(X32.astype(np.float64))
    assert proba.dtype == np.float32
    assert np.abs(proba - ref).max() <= TOL
    assert_array_equal(label, model.predict(X32.astype(np.float64)))


# ---------------------------------------------------------------------------- extreme margins


def mp_binary_posterior(z: float, gamma: float, a_pos: float, a_neg: float):
    """``[1 - η, η]``, ``η = h(σ(z)) / a_pos / [h(σ(z)) / a_pos + h(σ(-z)) / a_neg]``, 60 digits."""
    with mpmath.workdps(60):
        g = mpmath.mpf(gamma)

        def h(v, one_minus_v):
            r = -mpmath.log(v) / one_minus_v
            return v / (one_minus_v**g * (1 + g * v * r))

        p, q = 1 / (1 + mpmath.exp(-z)), 1 / (1 + mpmath.exp(z))
        pos, neg = h(p, q) / a_pos, h(q, p) / a_neg
        return neg / (pos + neg), pos / (pos + neg)


def mp_softmax_posterior(z, gamma: float, alpha):
    """``η_k ∝ h(p_k) / α_k`` with ``p = softmax(z)``, from ``S_k = Σ_{j≠k} e^{z_j - z_k}``.

    ``p_k = 1 / (1 + S_k)``, ``1 - p_k = S_k / (1 + S_k)``, ``-log p_k = log1p(S_k)``:
    no cancellation however close ``p_k`` is to 1.
    """
    with mpmath.workdps(60):
        g = mpmath.mpf(gamma)
        zz = [mpmath.mpf(v) for v in z]
        w = []
        for k, zk in enumerate(zz):
            s = mpmath.fsum(mpmath.exp(zj - zk) for j, zj in enumerate(zz) if j != k)
            p, rest = 1 / (1 + s), s / (1 + s)
            r = mpmath.log1p(s) / rest
            w.append(p / (rest**g * (1 + g * p * r)) / alpha[k])
        total = mpmath.fsum(w)
        return [v / total for v in w]


def shift_margins(model, shift) -> None:
    """Add ``shift`` to every margin of a fitted focal classifier (its booster's init score)."""
    if isinstance(model, FocalLGBMClassifier):
        fl_lgb.fold_init_score(model.booster_, shift)  # adds to the first trees' leaves
    else:
        fl_xgb.fold_init_score(model.get_booster(), np.asarray(model.init_score_) + shift)


@functools.cache
def extreme_model(booster: str, n_classes: int, sign: int):
    """A focal model whose held-out margins reach 30 (binary: on the side ``sign``; else ±30).

    Separable data and learning rate 1 give trees worth about ±20 (gamma = 0.5);
    the init score is then shifted by 16 (binary; XGBoost clamps its binary
    intercept to about ±13.8) or by (20, 0, -20), so the margins reach beyond 30.
    """
    rng = np.random.default_rng(7)
    X = rng.normal(size=(4000, 3))
    y = (X[:, 0] > 0).astype(int) if n_classes == 2 else np.digitize(X[:, 0], [-0.4, 0.4])
    kw = ({"num_leaves": 4, "min_child_samples": 5, "min_child_weight": 1e-12,
           "reg_lambda": 0.0} if booster == "lightgbm" else
          {"max_depth": 2, "min_child_weight": 0.0, "reg_lambda": 0.0})
    model = focal(booster, gamma=0.5, alpha=0.25 if n_classes == 2 else [1.0, 2.0, 0.5],
                  learning_rate=1.0, n_estimators=40, **kw).fit(X[:2000], y[:2000])
    shift_margins(model, sign * 16.0 if n_classes == 2 else np.array([20.0, 0.0, -20.0]))
    return model, X[2000:]


@pytest.mark.parametrize(("n_classes", "sign"), [(2, 1), (2, -1), (3, 1)])
@pytest.mark.parametrize("booster", BOOSTERS)
def test_extreme_margins(booster, n_classes, sign):
    model, X = extreme_model(booster, n_classes, sign)
    z = model.decision_function(X)
    if n_classes == 2:
        reach = z * sign >= 30.0
    else:
        assert z.max() >= 30.0
        assert z.min() <= -30.0
        reach = np.abs(z).max(axis=1) >= 30.0
    assert reach.sum() >= 50  # the margins really reach the focal map's extremes
    label, proba = run(fonnx.to_onnx(model, X[:1], options={"zipmap": False}), X)
    ref = model.predict_proba(X)
    assert np.all(np.isfinite(proba))
    assert np.abs(proba - ref).max() <= TOL
    assert_array_equal(label, model.predict(X))
    # the tails too: the smallest probabilities of the most extreme rows, relative to
    # the focal map at 60 digits (float32 margins in ONNX move them by ~(1 + γ) |dz|)
    far = np.argsort(-(np.abs(z) if n_classes == 2 else np.abs(z).max(axis=1)))[:10]
    loss = model.loss_
    for i in far:
        if n_classes == 2:
            eta = mp_binary_posterior(float(z[i]), loss.gamma, loss._a_pos, loss._a_neg)
        else:
            eta = mp_softmax_posterior([float(v) for v in z[i]], loss.gamma,
                                       loss.class_weights(3))
        eta = np.array([float(v) for v in eta])
        small = np.argmin(eta)
        assert eta[small] < 1e-12  # a real tail, far beyond float32's reach
        assert abs(proba[i, small] - eta[small]) <= 1e-4 * eta[small]


def margins_in(onx: onnx.ModelProto) -> onnx.ModelProto:
    """The graph after the trees: the tree ensemble removed, its margins a graph input."""
    onx = copy.deepcopy(onx)
    (tree,) = [n for n in onx.graph.node if n.op_type == "TreeEnsembleRegressor"]
    features = {i.name for i in onx.graph.input}
    kept = [n for n in onx.graph.node if n is not tree and not set(n.input) & features]
    del onx.graph.node[:]
    onx.graph.node.extend(kept)
    del onx.graph.input[:]
    onx.graph.input.append(
        onnx.helper.make_tensor_value_info(tree.output[0], onnx.TensorProto.FLOAT, [None, None]))
    return onx


@pytest.mark.parametrize(("n_classes", "gamma"), [(2, 2.0), (2, 0.5), (3, 2.0), (3, 0.5)])
def test_focal_map_in_the_graph_against_mpmath(n_classes, gamma):
    """The graph's focal map on given margins, up to 3e4 (binary) and spreads of 1,000 (3-class)."""
    X, y, X_test, _ = data(n_classes)
    alpha = 0.25 if n_classes == 2 else [1.0, 2.0, 0.5]
    model = focal("lightgbm", gamma=gamma, alpha=alpha, n_estimators=3).fit(X, y)
    onx = margins_in(fonnx.to_onnx(model, X_test[:1], options={"zipmap": False}))
    if n_classes == 2:
        z = np.array([0.0, 1e-9, 0.5, 2.0, 8.0, 16.6, 30.0, 40.0, 100.0, 700.0, 3e4])
        z = np.concatenate([z, -z]).reshape(-1, 1).astype(np.float32)
    else:
        rng = np.random.default_rng(0)
        z = np.concatenate([rng.normal(size=(10, 3)) * s for s in (0.1, 1, 5, 20, 40, 300)])
        z = z.astype(np.float32)
    sess = session(onx)
    _, proba = sess.run(None, {sess.get_inputs()[0].name: z})
    loss = model.loss_
    for row, p in zip(z.astype(np.float64), proba, strict=True):
        if n_classes == 2:
            eta = mp_binary_posterior(row[0], gamma, loss._a_pos, loss._a_neg)
        else:
            eta = mp_softmax_posterior(list(row), gamma, loss.class_weights(3))
        eta = np.array([float(v) for v in eta])
        normal = eta > 1e-300  # below, float64 has no relative precision left
        assert np.all(np.abs(p - eta)[normal] <= 1e-12 * eta[normal])
        assert np.all(np.abs(p - eta)[~normal] <= 1e-300)


# ---------------------------------------------------------------------------- float64 / float32


def amounts(n: int, seed: int):
    """Amounts in cents around 10^6: their float32 spacing (0.0625) is wider than a cent."""
    rng = np.random.default_rng(seed)
    a = 1e6 + np.round(rng.uniform(0.0, 100.0, size=n), 2)
    X = np.column_stack([a, rng.normal(size=n)])
    y = (np.sin(a * 0.7) + 0.3 * X[:, 1] + 0.5 * rng.normal(size=n) > 0.8).astype(int)
    return X, y


@pytest.mark.parametrize("booster", BOOSTERS)
def test_thresholds_in_the_boosters_precision(booster):
    """LightGBM's float64 thresholds and XGBoost's float32 casts, on amounts near 10^6.

    LightGBM compares float64 features with float64 thresholds: the graph takes
    a float64 input and keeps both in float64.  XGBoost casts features to
    float32: the graph casts them as well.  On these data a float32 cast
    changes LightGBM's own predictions, so a float32 graph would fail here.
    """
    X, y = amounts(4000, seed=3)
    model = focal(booster, gamma=1.0, n_estimators=60, learning_rate=0.2).fit(X[:2000], y[:2000])
    X_test = X[2000:]
    label, proba = run(fonnx.to_onnx(model, X_test[:1], options={"zipmap": False}), X_test)
    ref = model.predict_proba(X_test)
    assert np.abs(proba - ref).max() <= TOL
    assert_array_equal(label, model.predict(X_test))
    rounded = model.predict_proba(X_test.astype(np.float32).astype(np.float64))
    if booster == "lightgbm":
        assert np.abs(rounded - ref).max() > 1e-3  # float32 inputs move LightGBM's leaves
    else:
        assert np.abs(rounded - ref).max() == 0.0  # XGBoost rounds them itself


# ---------------------------------------------------------------------------- outputs


@pytest.mark.parametrize("booster", BOOSTERS)
def test_zipmap_columns_and_nocl(booster):
    model = fitted(booster, 3, "sigmoid")
    _, _, X_test, _ = data(3)
    ref = model.predict_proba(X_test)
    sess = session(skl2onnx.to_onnx(model, X_test[:1]))  # zipmap=True: skl2onnx's default
    label, maps = sess.run(None, {"X": X_test})
    assert [o.name for o in sess.get_outputs()] == ["output_label", "output_probability"]
    assert set(maps[0]) == set(model.classes_.tolist())
    proba = np.array([[row[c] for c in model.classes_.tolist()] for row in maps])
    assert np.abs(proba - ref).max() <= TOL
    assert_array_equal(label, model.predict(X_test))
    # one output per class
    outs = run(skl2onnx.to_onnx(model, X_test[:1], options={"zipmap": "columns"}), X_test)
    assert np.abs(np.column_stack(outs[1:]) - ref).max() <= TOL
    # nocl: class indices instead of labels
    label, _ = run(skl2onnx.to_onnx(model, X_test[:1], options={"zipmap": False, "nocl": True}),
                   X_test)
    assert_array_equal(label, np.argmax(ref, axis=1))


@pytest.mark.parametrize("booster", BOOSTERS)
def test_string_labels(booster):
    X, y, X_test, _ = data(3)
    names = np.array(["scratch", "dent", "ok"], dtype=object)
    model = focal(booster, calibration="temperature", calibration_cv=2).fit(X, names[y])
    label, maps = run(skl2onnx.to_onnx(model, X_test[:1]), X_test)
    assert label.dtype == object
    assert_array_equal(label, model.predict(X_test))
    proba = np.array([[row[c] for c in model.classes_.tolist()] for row in maps])
    assert np.abs(proba - model.predict_proba(X_test)).max() <= TOL


def test_float_labels_become_int64():
    """Integral float labels export as int64 labels, as skl2onnx's classifiers do."""
    X, y, X_test, _ = data(2)
    model = focal("xgboost", n_estimators=10).fit(X, y.astype(np.float64) * 3.0)
    label, _ = run(fonnx.to_onnx(model, X[:1], options={"zipmap": False}), X_test)
    assert label.dtype == np.int64
    assert_array_equal(label, model.predict(X_test))


@pytest.mark.parametrize("booster", BOOSTERS)
def test_pandas_input(booster):
    """A DataFrame sample: one input per column (skl2onnx's convention), in any order."""
    X, y, X_test, _ = data(2)
    cols = [f"feature {i}" for i in range(X.shape[1])]
    df, df_test = pd.DataFrame(X, columns=cols), pd.DataFrame(X_test, columns=cols)
    df["feature 0"] = np.round(df["feature 0"] * 4).astype(np.int64)  # an int64 column
    df_test["feature 0"] = np.round(df_test["feature 0"] * 4).astype(np.int64)
    model = focal(booster, alpha=0.25, calibration="beta", calibration_cv=2).fit(df, y)
    shuffled = df_test[cols[::-1]]
    sess = session(fonnx.to_onnx(model, shuffled[:1], options={"zipmap": False}))
    feeds = {i.name: shuffled[[c]].to_numpy() for i, c in zip(sess.get_inputs(), shuffled.columns,
                                                                strict=True)}
    label, proba = sess.run(None, feeds)
    assert np.abs(proba - model.predict_proba(df_test)).max() <= TOL
    assert_array_equal(label, model.predict(df_test))
    with pytest.raises(ValueError, match="not the features the model was fitted on"):
        fonnx.to_onnx(model, df_test.rename(columns={"feature 3": "other"})[:1])


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("booster", BOOSTERS)
def test_isotonic_refused_before_any_conversion(booster):
    X, y, _, _ = data(2)
    model = make_pipeline(StandardScaler(), focal(booster, calibration="isotonic",
                                                  calibration_cv=2)).fit(X, y)
    for convert in (skl2onnx.to_onnx, fonnx.to_onnx):
        with pytest.raises(ValueError, match="calibration='isotonic' cannot be exported") as info:
            convert(model, X[:1])
        message = str(info.value)
        assert all(repr(c) in message for c in fonnx.SUPPORTED_CALIBRATIONS)
        frames = [entry.name for entry in info.traceback]
        # raised by the validation step while parsing: no converter (not even the
        # StandardScaler's) has run
        assert "check_exportable" in frames
        assert "convert_topology" not in frames
        assert "convert_operators" not in frames


def test_refused_models():
    X, y, _, _ = data(2)
    with pytest.raises(NotFittedError):
        fonnx.to_onnx(FocalLGBMClassifier(), X[:1])
    linear = focal("lightgbm", linear_tree=True, n_estimators=5).fit(X, y)
    with pytest.raises(ValueError, match="linear trees"):
        fonnx.to_onnx(linear, X[:1])
    zero_missing = focal("xgboost", missing=0.0, n_estimators=5).fit(X, y)
    with pytest.raises(ValueError, match=r"missing=0\.0"):
        fonnx.to_onnx(zero_missing, X[:1])
    dart = focal("xgboost", booster="dart", n_estimators=5).fit(X, y)
    with pytest.raises(ValueError, match="booster='dart'"):
        skl2onnx.to_onnx(dart, X[:1])


# ---------------------------------------------------------------------------- model states


@pytest.mark.parametrize("booster", BOOSTERS)
def test_early_stopped_model(booster):
    """The graph holds the trees ``predict_proba`` uses: those up to the best iteration."""
    X, y, X_test, y_test = data(2)
    stop = ({"callbacks": [lgb.early_stopping(5, verbose=False)]}
            if booster == "lightgbm" else {"verbose": False})
    extra = {} if booster == "lightgbm" else {"early_stopping_rounds": 5}
    model = focal(booster, n_estimators=300, learning_rate=0.3, **extra).fit(
        X, y, eval_set=[(X_test[:500], y_test[:500])], **stop)
    best = model.best_iteration_ if booster == "lightgbm" else model.best_iteration + 1
    assert 0 < best < 300
    label, proba = run(fonnx.to_onnx(model, X_test[:1], options={"zipmap": False}), X_test)
    assert np.abs(proba - model.predict_proba(X_test)).max() <= TOL
    assert_array_equal(label, model.predict(X_test))


@pytest.mark.parametrize("booster", BOOSTERS)
def test_loaded_model(booster, tmp_path):
    model = fitted(booster, 2, "sigmoid")
    path = tmp_path / ("model.txt" if booster == "lightgbm" else "model.json")
    model.save_model(path)
    loaded = type(model).load_model(path)
    _, _, X_test, _ = data(2)
    label, proba = run(fonnx.to_onnx(loaded, X_test[:1], options={"zipmap": False}), X_test)
    assert np.abs(proba - model.predict_proba(X_test)).max() <= TOL
    assert_array_equal(label, model.predict(X_test))


def test_graph_is_valid_onnx():
    model = fitted("lightgbm", 3, "sigmoid", True)
    onx = fonnx.to_onnx(model, data(3)[0][:1])
    onnx.checker.check_model(onx, full_check=True)
    opsets = {o.domain: o.version for o in onx.opset_import}
    assert opsets["ai.onnx.ml"] == fonnx.MIN_ML_OPSET
    assert opsets[""] >= fonnx.MIN_OPSET
    with pytest.raises(RuntimeError, match=r"'ai\.onnx\.ml'"):
        fonnx.to_onnx(model, data(3)[0][:1], target_opset={"": 17, "ai.onnx.ml": 1})
    with pytest.raises(RuntimeError, match="opset 13 or more"):
        fonnx.to_onnx(model, data(3)[0][:1], target_opset={"": 12, "ai.onnx.ml": 3})


def test_lowest_opset():
    """At opset 13 (ReduceMax takes its axes as an attribute) the graph gives the same."""
    model = fitted("xgboost", 3, "sigmoid")
    _, _, X_test, _ = data(3)
    onx = fonnx.to_onnx(model, X_test[:1], options={"zipmap": False},
                        target_opset={"": fonnx.MIN_OPSET, "ai.onnx.ml": fonnx.MIN_ML_OPSET})
    assert {o.domain: o.version for o in onx.opset_import}[""] == fonnx.MIN_OPSET
    label, proba = run(onx, X_test)
    assert np.abs(proba - model.predict_proba(X_test)).max() <= TOL
    assert_array_equal(label, model.predict(X_test))


@pytest.mark.parametrize("calibration", ["focal", "sigmoid"])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("booster", BOOSTERS)
def test_per_class_gamma_exports(booster, n_classes, calibration):
    """A gamma per class (issue #13): the graph's focal map uses each class's own."""
    X, y, X_test, _ = data(n_classes)
    gamma = (0.5, 3.0) if n_classes == 2 else [0.5, 2.0, 4.0]
    model = focal(booster, gamma=gamma, calibration=calibration, calibration_cv=2).fit(X, y)
    label, proba = run(fonnx.to_onnx(model, X_test[:1], options=no_zipmap(model)), X_test)
    assert np.abs(proba - model.predict_proba(X_test)).max() <= TOL
    assert_array_equal(label, model.predict(X_test))
    # not vacuous: a single gamma gives other probabilities
    single = focal(booster, gamma=2.0, calibration=calibration, calibration_cv=2).fit(X, y)
    assert np.abs(single.predict_proba(X_test) - model.predict_proba(X_test)).max() > 1e-2


def test_multilabel_models_are_refused_clearly():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    Y = (X[:, :3] + rng.normal(size=(300, 3)) > 0).astype(int)
    model = FocalXGBClassifier(n_estimators=3).fit(X, Y)
    with pytest.raises(ValueError, match="multi-label models"):
        fonnx.to_onnx(model, X[:1])
