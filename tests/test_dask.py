"""Distributed focal classifiers on a local (loopback) Dask cluster.

Agreement with the single-machine estimators is checked at three levels:

- ``to_local()`` shares the booster and the focal state, so its predictions must
  equal the Dask predictions to 1e-12;
- the init score comes from per-class weight totals only, so the distributed
  reduction must reproduce the single-machine value to 1e-9;
- training itself: on features with few distinct values (every worker sees
  every value, so bin boundaries / quantile sketches are exact and identical to
  the single-machine ones) the distributed booster builds the same trees, and
  probabilities agree to floating-point summation order (1e-9).  LightGBM's
  data-parallel learner additionally picks different splits than the serial
  learner in large leaf-wise trees (plain ``lightgbm.dask.DaskLGBMClassifier``
  vs ``LGBMClassifier`` differ by ~0.12 in max |dp| on the same data, without
  any focal code), and applies the leaf-size limits ``min_child_weight`` (Hessian
  sum) and ``min_child_samples`` (a row count LightGBM *estimates* from Hessian
  sums) differently: focal Hessians of well-classified rows are tiny and vary
  with the row weights, so leaves near those limits are split in one learner
  and not in the other (max |dp| 0.005-0.013 with ``num_leaves=4``; exactly 0
  with the limits off, or with ``gamma=0``).  The exact LightGBM comparison
  therefore uses small trees (``num_leaves=4``) with ``min_child_weight=0``
  and ``min_child_samples=1``, where the learners agree exactly.
- On continuous features, bins/sketches are computed per worker and differ from
  the single-machine ones; splits move to neighbouring thresholds and single
  rows near a moved threshold can change a lot.  Measured here (4,000 rows,
  20 trees, blocks spread over 2 workers, weights, ``alpha="balanced"``):
  max |dp| 0.28 (LightGBM) / 0.44 (XGBoost) binary, 0.27 / 0.26 multiclass;
  mean |dp| 0.019-0.039; argmax agreement 0.957-0.980.  Per-row differences of
  that size are the normal variance of 20 depth-6 / 31-leaf trees to their bin
  boundaries, not a focal-loss effect, so the test bounds the *mean* |dp|
  (0.06, 1.5x the largest measured), the max (0.75) and the argmax agreement
  (>= 0.9).
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pytest.importorskip("lightgbm")
pytest.importorskip("xgboost")

from focalboost import BinaryFocalLoss, SoftmaxFocalLoss  # noqa: E402
from focalboost import lightgbm as fb_lgb  # noqa: E402
from focalboost import xgboost as fb_xgb  # noqa: E402
from focalboost.dask import FocalDaskLGBMClassifier, FocalDaskXGBClassifier  # noqa: E402
from focalboost.lightgbm import FocalLGBMClassifier  # noqa: E402
from focalboost.xgboost import FocalXGBClassifier  # noqa: E402

N = 4000
CHUNK = 1000
PAIRS = {
    "lgbm": (FocalDaskLGBMClassifier, FocalLGBMClassifier, {"verbose": -1}),
    "xgb": (FocalDaskXGBClassifier, FocalXGBClassifier, {}),
}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    cl = distributed.Client(cluster)
    try:
        yield cl
    finally:
        cl.close()
        cluster.close()


def _data(n_classes: int, discrete: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    if discrete:
        X = rng.integers(0, 16, size=(N, 5)).astype(np.float64)
        z = (X - 7.5) / 4.6
    else:
        X = rng.normal(size=(N, 5))
        z = X
    if n_classes == 2:
        y = (z[:, 0] + 0.5 * z[:, 1] + rng.normal(size=N) > 1.0).astype(int)
    else:
        y = np.digitize(z[:, 0] + 0.5 * rng.normal(size=N), [-0.5, 0.8])
    labels = np.array(["ant", "bee", "cat"])[y]  # string labels, encoded like sklearn
    w = rng.uniform(0.5, 2.0, size=N)
    return X, labels, w


def _dask(X, y, w):
    """Dask arrays whose row blocks alternate between the two workers.

    Left to the scheduler, all blocks may land on one worker, and lightgbm.dask
    then trains on that worker alone; placing them makes the training distributed.
    """
    client = distributed.get_client()
    workers = sorted(client.scheduler_info()["workers"])

    def spread(a):
        blocks = []
        for i, start in enumerate(range(0, len(a), CHUNK)):
            piece = a[start : start + CHUNK]
            fut = client.scatter(piece, workers=[workers[i % len(workers)]], hash=False)
            blocks.append(da.from_delayed(dask.delayed(fut), shape=piece.shape, dtype=piece.dtype))
        return da.concatenate(blocks)

    return spread(X), spread(y), spread(w)


def _fit_pair(kind, n_classes, discrete, **kw):
    dask_cls, local_cls, extra = PAIRS[kind]
    X, y, w = _data(n_classes, discrete)
    dX, dy, dw = _dask(X, y, w)
    params = {"n_estimators": 20, "alpha": "balanced", **extra, **kw}
    dm = dask_cls(**params).fit(dX, dy, sample_weight=dw)
    lm = local_cls(**params).fit(X, y, sample_weight=w)
    return dm, lm, X, dX


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("kind", ["lgbm", "xgb"])
def test_to_local_identical_and_dask_outputs(client, kind, n_classes):
    dask_cls, local_cls, extra = PAIRS[kind]
    X, y, w = _data(n_classes, discrete=False)
    dX, dy, dw = _dask(X, y, w)
    dm = dask_cls(n_estimators=20, **extra).fit(dX, dy, sample_weight=dw)
    proba = dm.predict_proba(dX)
    assert isinstance(proba, da.Array)
    p = proba.compute()
    local = dm.to_local()
    assert type(local) is local_cls
    np.testing.assert_allclose(local.predict_proba(X), p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        dm.decision_function(dX).compute(), local.decision_function(X), rtol=0, atol=1e-12
    )
    labels = dm.predict(dX)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), local.predict(X))
    assert set(dm.classes_.tolist()) == set(np.unique(y).tolist())
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("kind", ["lgbm", "xgb"])
def test_dask_dataframe_input(client, kind):
    dask_cls, _, extra = PAIRS[kind]
    X, y, _ = _data(3, discrete=False)
    df = dd.from_pandas(pd.DataFrame(X, columns=[f"f{i}" for i in range(5)]), npartitions=4)
    ys = dd.from_pandas(pd.Series(y, name="y"), npartitions=4)
    dm = dask_cls(n_estimators=10, **extra).fit(df, ys)
    p = dm.predict_proba(df)
    assert isinstance(p, da.Array)
    p = p.compute()
    assert p.shape == (N, 3)
    local = dm.to_local()
    np.testing.assert_allclose(
        local.predict_proba(pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])),
        p,
        rtol=0,
        atol=1e-12,
    )
    assert set(dm.predict(df).compute().tolist()) <= set(dm.classes_.tolist())


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("kind", ["lgbm", "xgb"])
def test_exact_agreement_on_discrete_features(client, kind, n_classes):
    # identical bins on every worker: the distributed trees are the single-machine trees
    kw = {"num_leaves": 4, "min_child_weight": 0.0, "min_child_samples": 1}
    kw = kw if kind == "lgbm" else {}
    dm, lm, X, dX = _fit_pair(kind, n_classes, discrete=True, **kw)
    np.testing.assert_allclose(dm.init_score_, lm.init_score_, rtol=0, atol=1e-9)
    dp = np.abs(dm.predict_proba(dX).compute() - lm.predict_proba(X))
    assert dp.max() < 1e-9


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("kind", ["lgbm", "xgb"])
def test_close_agreement_on_continuous_features(client, kind, n_classes):
    # see the module docstring for the measured differences and the tolerance
    dm, lm, X, dX = _fit_pair(kind, n_classes, discrete=False)
    p = dm.predict_proba(dX).compute()
    q = lm.predict_proba(X)
    dp = np.abs(p - q)
    assert dp.mean() < 0.06
    assert dp.max() < 0.75
    assert np.mean(np.argmax(p, 1) == np.argmax(q, 1)) >= 0.9


@pytest.mark.parametrize(
    "alpha", [None, "balanced", 0.3, [0.7, 1.9], [1.0, 2.0, 0.5], "balanced-3"]
)
@pytest.mark.parametrize("kind", ["lgbm", "xgb"])
def test_init_score_matches_single_machine(client, kind, alpha):
    n_classes = 3 if (isinstance(alpha, list) and len(alpha) == 3) or alpha == "balanced-3" else 2
    if alpha == "balanced-3":
        alpha = "balanced"
    dask_cls, local_cls, extra = PAIRS[kind]
    X, y, w = _data(n_classes, discrete=False, seed=3)
    dX, dy, dw = _dask(X, y, w)
    # no boosting needed: compare the prepared state with the single-machine one
    dm = dask_cls(alpha=alpha, **extra)
    _, y_enc, weight, totals, counts = dm._focal_prepare_dask(dX, dy, dw)
    z_dask = dm._init_score_from_totals(totals, counts)
    lm = local_cls(alpha=alpha, **extra)
    y_local, w_local, _ = lm._focal_prepare(y, w)
    z_local = lm._init_score_for(y_local, w_local)
    np.testing.assert_allclose(z_dask, z_local, rtol=0, atol=1e-9)
    if n_classes == 2:
        ref = lm.loss_.init_score(y_local, w_local)
    else:  # LightGBM's multiclass convention is log p, not centred (issue #14)
        ref = lm._init_convention(lm.loss_.init_score(y_local, w_local, n_classes=n_classes))
    np.testing.assert_allclose(z_dask, ref, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(y_enc.compute(), y_local)
    if w_local is not None:
        np.testing.assert_allclose(weight.compute(), w_local, rtol=1e-15)
    if dm.alpha_ is not None:
        np.testing.assert_allclose(dm.alpha_, lm.alpha_, rtol=1e-12)


def _worker_call(payload, y, raw, w):
    obj = pickle.loads(payload)
    if hasattr(obj, "value"):  # metric
        return obj(y, raw, w)
    g, h = obj(y, raw, w)
    return np.array(g, copy=True), np.array(h, copy=True)


def _adapter_objects():
    binary = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    softmax = SoftmaxFocalLoss(alpha=[1.0, 2.0, 0.5], gamma=1.5, hessian_factor="lightgbm")
    objs = []
    for mod in (fb_lgb, fb_xgb):
        for loss in (binary, softmax):
            objs += [mod.FocalObjective(loss), mod.FocalMetric(loss)]
    return objs


@pytest.mark.parametrize("obj", _adapter_objects(), ids=repr)
def test_adapters_pickle_and_run_on_worker(client, obj):
    rng = np.random.default_rng(1)
    n = 500
    if isinstance(obj.loss, SoftmaxFocalLoss):
        y = rng.integers(0, 3, size=n).astype(np.float64)
        raw = rng.normal(size=(n, 3))
    else:
        y = rng.integers(0, 2, size=n).astype(np.float64)
        raw = rng.normal(size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    remote = client.submit(_worker_call, pickle.dumps(obj), y, raw, w, pure=False).result()
    local = _worker_call(pickle.dumps(obj), y, raw, w)
    if isinstance(local, tuple) and len(local) == 2 and isinstance(local[0], np.ndarray):
        np.testing.assert_array_equal(remote[0], local[0])
        np.testing.assert_array_equal(remote[1], local[1])
        direct = obj(y, raw, w)
        np.testing.assert_array_equal(remote[0], direct[0])
    else:
        assert remote == local


@pytest.mark.parametrize("kind", ["lgbm", "xgb"])
def test_calibration_on_held_out_partition(client, kind):
    """Without calibration_set, the last partition is held out for the calibrator."""
    dask_cls, local_cls, extra = PAIRS[kind]
    X, y, w = _data(2, discrete=False)
    dX, dy, dw = _dask(X, y, w)
    n_blocks = dX.numblocks[0]
    assert n_blocks >= 2
    last = sum(dX.chunks[0][:-1])
    m = dask_cls(n_estimators=10, calibration="isotonic", **extra).fit(dX, dy, sample_weight=dw)
    assert m.calibrator_ is not None
    # the calibrator was fitted on the last block only: refit it locally on the same rows
    from focalboost.calibration import fit_calibrator

    local = m.to_local()
    assert isinstance(local, local_cls)
    assert local.calibration == "isotonic"
    held = (X[last:], y[last:], w[last:])
    cal = fit_calibrator(local, *held[:1], local._encode_eval_labels(held[1]), held[2], held)
    np.testing.assert_allclose(
        m.predict_proba(dX).compute(), cal.predict_proba(local.decision_function(X)), atol=1e-12
    )
    # the held-out rows did not reach training: the init score (class weight sums of
    # the training rows) is that of the first blocks, not that of all rows
    y_head = local._encode_eval_labels(y[:last])
    assert m.init_score_ == pytest.approx(m.loss_.init_score(y_head, w[:last]), abs=1e-12)
    y_all = local._encode_eval_labels(y)
    assert abs(m.init_score_ - m.loss_.init_score(y_all, w)) > 1e-6


@pytest.mark.parametrize("kind", ["lgbm", "xgb"])
def test_calibration_set_and_single_partition_error(client, kind):
    dask_cls, _, extra = PAIRS[kind]
    X, y, w = _data(3, discrete=False)
    dX, dy, _ = _dask(X, y, w)
    m = dask_cls(n_estimators=5, calibration="temperature", **extra).fit(
        dX, dy, calibration_set=(X[:500], y[:500])
    )
    proba = m.predict_proba(dX).compute()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert m.calibrator_ is not None
    one = da.from_array(X, chunks=(len(X), X.shape[1]))
    with pytest.raises(ValueError, match="calibration_set"):
        dask_cls(n_estimators=2, calibration="sigmoid", **extra).fit(
            one, da.from_array(y, chunks=len(y))
        )


def test_bad_calibration_and_class_weight(client):
    X, y, w = _data(2, discrete=False)
    dX, dy, _ = _dask(X, y, w)
    with pytest.raises(ValueError, match="calibration"):
        FocalDaskLGBMClassifier(calibration="nope").fit(dX, dy)
    X3, y3, w3 = _data(3, discrete=False)
    dX3, dy3, _ = _dask(X3, y3, w3)
    with pytest.raises(ValueError, match="binary problems only"):
        FocalDaskXGBClassifier(calibration="beta").fit(dX3, dy3)
    for cls in (FocalDaskLGBMClassifier, FocalDaskXGBClassifier):
        with pytest.raises(ValueError, match=r"\bhessian\b.*binary targets only"):
            cls(hessian="fisher").fit(dX3, dy3)
    with pytest.raises(NotImplementedError, match="balanced"):
        FocalDaskLGBMClassifier(class_weight="balanced", verbose=-1).fit(dX, dy)
    for model in (FocalDaskLGBMClassifier(is_unbalance=True, verbose=-1),
                  FocalDaskLGBMClassifier(scale_pos_weight=2.0, verbose=-1),
                  FocalDaskXGBClassifier(scale_pos_weight=2.0)):
        with pytest.raises(ValueError, match="scale_pos_weight / is_unbalance"):
            model.fit(dX, dy)  # not silently ignored


@pytest.mark.parametrize("kind", ["lgbm", "xgb"])
def test_eval_set_early_stopping(client, kind):
    import lightgbm as lgb

    dask_cls, _, extra = PAIRS[kind]
    X, y, w = _data(3, discrete=False)
    dX, dy, dw = _dask(X, y, w)
    if kind == "lgbm":
        m = dask_cls(n_estimators=15, **extra).fit(
            dX,
            dy,
            eval_set=[(dX, dy)],
            eval_sample_weight=[dw],
            callbacks=[lgb.early_stopping(3, verbose=False)],
        )
        assert list(m.evals_result_["valid_0"]) == ["focal_loss"]
    else:
        m = dask_cls(n_estimators=15, early_stopping_rounds=3).fit(
            dX, dy, eval_set=[(dX, dy)], sample_weight_eval_set=[dw], verbose=False
        )
        assert list(m.evals_result()["validation_0"]) == ["focal_loss"]
    local = m.to_local()
    np.testing.assert_allclose(m.predict_proba(dX).compute(), local.predict_proba(X), atol=1e-12)


def test_lgbm_class_weight_dict_init_score(client):
    X, y, w = _data(3, discrete=False)
    dX, dy, dw = _dask(X, y, w)
    cw = {"ant": 2.0, "bee": 1.0, "cat": 0.5}
    dm = FocalDaskLGBMClassifier(n_estimators=3, verbose=-1, class_weight=cw)
    dm.fit(dX, dy, sample_weight=dw)
    lm = FocalLGBMClassifier(n_estimators=3, verbose=-1, class_weight=cw).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(dm.init_score_, lm.init_score_, rtol=0, atol=1e-9)
    raw = dm.decision_function(dX, num_iteration=1).compute()
    np.testing.assert_allclose(raw, dm.to_local().decision_function(X, num_iteration=1), atol=1e-12)


def test_xgb_named_eval_metric_is_computed_on_probabilities(client):
    """eval_metric="mlogloss" on Dask: the log loss of the focal map's probabilities."""
    from sklearn.metrics import log_loss

    X, y, w = _data(3, discrete=False)
    dX, dy, _ = _dask(X, y, w)
    m = FocalDaskXGBClassifier(n_estimators=8, eval_metric=["focal_loss", "mlogloss"]).fit(
        dX, dy, eval_set=[(dX, dy)], verbose=False
    )
    curve = m.evals_result()["validation_0"]
    assert list(curve) == ["focal_loss", "mlogloss"]
    local = m.to_local()
    want = log_loss(y, local.predict_proba(X), labels=local.classes_)
    assert curve["mlogloss"][-1] == pytest.approx(want, abs=1e-6)


def test_lgbm_metric_names_and_callables_see_probabilities(client):
    """metric="multi_logloss" and a callable on Dask: the focal map's probabilities.

    Before, the name went to LightGBM, which computed it on raw margins, and the
    callable got margins (FocalLGBMClassifier gives both probabilities).
    """
    from sklearn.metrics import log_loss

    X, y, w = _data(3, discrete=False)
    dX, dy, _ = _dask(X, y, w)
    # an eval set of its own (lightgbm.dask treats the training arrays as an eval set
    # only together with their weights)
    X, y, w = _data(3, discrete=False, seed=1)
    dXv, dyv, _ = _dask(X, y, w)

    def sk_log_loss(y_true, y_pred):
        return "sk_log_loss", log_loss(y_true, y_pred, labels=[0, 1, 2]), False

    m = FocalDaskLGBMClassifier(n_estimators=6, verbose=-1, metric="multi_logloss").fit(
        dX, dy, eval_set=[(dXv, dyv)], eval_metric=sk_log_loss
    )
    curve = m.evals_result_["valid_0"]
    assert list(curve) == ["multi_logloss", "sk_log_loss"]
    np.testing.assert_allclose(curve["sk_log_loss"], curve["multi_logloss"], rtol=0, atol=1e-12)
    # lightgbm.dask reports the eval rows of one worker: the blocks _dask gave it
    proba = m.to_local().predict_proba(X)
    block = (np.arange(len(y)) // CHUNK) % 2
    halves = [log_loss(y[block == b], proba[block == b], labels=m.classes_) for b in (0, 1)]
    assert min(abs(curve["multi_logloss"][-1] - h) for h in halves) < 1e-9, halves
