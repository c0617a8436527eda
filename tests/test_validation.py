"""Every bad parameter or input raises ValueError naming the offending parameter."""

from __future__ import annotations

import numpy as np
import pytest

from focalboost import BinaryFocalLoss, SoftmaxFocalLoss

# every test here runs on both kernel backends (see conftest.py)
pytestmark = pytest.mark.usefixtures("kernel_backend")

NAN, INF = float("nan"), float("inf")

BAD_GAMMAS = [-0.1, -1, NAN, INF, -INF, True, False, "2", None, [2.0], np.array([2.0])]


# ---------------------------------------------------------------------- constructors


@pytest.mark.parametrize("gamma", BAD_GAMMAS)
@pytest.mark.parametrize("cls", [BinaryFocalLoss, SoftmaxFocalLoss])
def test_bad_gamma(cls, gamma):
    with pytest.raises(ValueError, match="gamma"):
        cls(gamma=gamma)


@pytest.mark.parametrize("gamma", [0, 0.0, 1, 2.5, np.float32(2.0), np.int64(3), 50.0])
def test_good_gamma(gamma):
    BinaryFocalLoss(gamma=gamma)
    SoftmaxFocalLoss(gamma=gamma)


@pytest.mark.parametrize(
    "alpha", [0, 0.0, 1, 1.0, -0.1, 1.5, NAN, INF, True, "0.5", [0.5], (0.25, 0.75)]
)
def test_bad_binary_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        BinaryFocalLoss(alpha=alpha)


@pytest.mark.parametrize(
    "alpha",
    [
        [1.0],  # a single class
        [[1.0, 2.0], [3.0, 4.0]],  # 2-D
        0.5,  # scalar
        [1.0, 0.0, 1.0],  # zero
        [1.0, -1.0],  # negative
        [1.0, NAN, 1.0],
        [1.0, INF],
        ["a", "b"],
        "abc",
    ],
)
def test_bad_softmax_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        SoftmaxFocalLoss(alpha=alpha)


@pytest.mark.parametrize("method", ["loss", "gradient_hessian", "posterior_proba", "init_score"])
def test_softmax_alpha_wrong_length_for_data(method):
    loss = SoftmaxFocalLoss(alpha=[1.0, 2.0, 3.0])
    y = np.array([0, 1, 2, 3])
    z = np.zeros((4, 4))
    args = {
        "loss": (y, z),
        "gradient_hessian": (y, z),
        "posterior_proba": (z,),
        "init_score": (y, None, 4),
    }[method]
    with pytest.raises(ValueError, match="alpha"):
        getattr(loss, method)(*args)


@pytest.mark.parametrize("hessian", ["Exact", "newton", "", None, 1, "hessian"])
@pytest.mark.parametrize("cls", [BinaryFocalLoss, SoftmaxFocalLoss])
def test_bad_hessian(cls, hessian):
    with pytest.raises(ValueError, match=r"^hessian must"):
        cls(hessian=hessian)


@pytest.mark.parametrize(
    "factor", [0, 0.0, -1.0, NAN, INF, True, "LightGBM", "catboost", "", None, [2.0]]
)
def test_bad_hessian_factor(factor):
    with pytest.raises(ValueError, match="hessian_factor"):
        SoftmaxFocalLoss(hessian_factor=factor)


def test_bad_n_classes():
    with pytest.raises(ValueError, match="n_classes"):
        SoftmaxFocalLoss().init_score(np.array([0, 0]), n_classes=1)


# ------------------------------------------------------------------ per-call inputs


def _binary_call(method, y, z, w):
    loss = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    if method == "init_score":
        return loss.init_score(y, w)
    return getattr(loss, method)(y, z, w)


def _softmax_call(method, y, z, w):
    loss = SoftmaxFocalLoss(gamma=2.0)
    if method == "init_score":
        return loss.init_score(y, w, n_classes=3)
    return getattr(loss, method)(y, z, w)


CALLS = ["loss", "gradient_hessian", "mean_loss"]


@pytest.mark.parametrize("method", [*CALLS, "init_score"])
@pytest.mark.parametrize("bad", [2, -1, 0.5, NAN, INF])
def test_binary_bad_labels(method, bad):
    y = np.array([0.0, 1.0, bad, 1.0])
    with pytest.raises(ValueError, match="y_true"):
        _binary_call(method, y, np.zeros(4), None)


@pytest.mark.parametrize("method", [*CALLS, "init_score"])
@pytest.mark.parametrize("bad", [3, -1, 0.5, 2.5, NAN, INF])
def test_softmax_bad_labels(method, bad):
    y = np.array([0.0, 1.0, 2.0, bad])
    with pytest.raises(ValueError, match="y_true"):
        _softmax_call(method, y, np.zeros((4, 3)), None)


@pytest.mark.parametrize("method", [*CALLS, "init_score"])
@pytest.mark.parametrize("labels", [["a", "b", "a"], np.array(["0", "1", "1"]), [None, 1, 0]])
def test_non_numeric_labels(method, labels):
    with pytest.raises(ValueError, match="y_true"):
        _binary_call(method, np.array(labels), np.zeros(3), None)
    with pytest.raises(ValueError, match="y_true"):
        _softmax_call(method, np.array(labels), np.zeros((3, 3)), None)


@pytest.mark.parametrize("method", [*CALLS, "init_score"])
@pytest.mark.parametrize("bad", [NAN, INF, -INF, -1.0, -1e-300])
def test_bad_weights(method, bad):
    w = np.array([1.0, bad, 1.0, 1.0])
    with pytest.raises(ValueError, match="sample_weight"):
        _binary_call(method, np.array([0, 1, 0, 1]), np.zeros(4), w)
    with pytest.raises(ValueError, match="sample_weight"):
        _softmax_call(method, np.array([0, 1, 2, 1]), np.zeros((4, 3)), w)


@pytest.mark.parametrize("method", CALLS)
@pytest.mark.parametrize("bad", [NAN, INF, -INF])
def test_non_finite_raw_score(method, bad):
    z = np.array([0.0, 1.0, bad, 2.0])
    with pytest.raises(ValueError, match="raw_score"):
        _binary_call(method, np.array([0, 1, 0, 1]), z, None)
    zs = np.zeros((4, 3))
    zs[2, 1] = bad
    with pytest.raises(ValueError, match="raw_score"):
        _softmax_call(method, np.array([0, 1, 2, 1]), zs, None)


@pytest.mark.parametrize("bad", [NAN, INF, -INF])
def test_non_finite_raw_score_in_links(bad):
    b = BinaryFocalLoss(gamma=2.0)
    for method in ("posterior_logit", "posterior_proba", "predict_proba"):
        with pytest.raises(ValueError, match="raw_score"):
            getattr(b, method)(np.array([0.0, bad]))
    s = SoftmaxFocalLoss(gamma=2.0)
    for method in ("posterior_proba", "predict_proba"):
        with pytest.raises(ValueError, match="raw_score"):
            getattr(s, method)(np.array([[0.0, bad, 1.0]]))


@pytest.mark.parametrize("method", CALLS)
def test_binary_shape_mismatches(method):
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="raw_score"):
        _binary_call(method, y, np.zeros(3), None)
    with pytest.raises(ValueError, match="raw_score"):
        _binary_call(method, y, np.zeros((4, 2)), None)
    with pytest.raises(ValueError, match="y_true"):
        _binary_call(method, y[:, None], np.zeros(4), None)
    with pytest.raises(ValueError, match="sample_weight"):
        _binary_call(method, y, np.zeros(4), np.ones(3))
    with pytest.raises(ValueError, match="sample_weight"):
        _binary_call(method, y, np.zeros(4), np.ones((4, 1)))


@pytest.mark.parametrize("method", CALLS)
def test_softmax_shape_mismatches(method):
    y = np.array([0, 1, 2, 1])
    with pytest.raises(ValueError, match="raw_score"):
        _softmax_call(method, y, np.zeros((3, 3)), None)
    with pytest.raises(ValueError, match="raw_score"):
        _softmax_call(method, y, np.zeros(4), None)  # 1-D margins
    with pytest.raises(ValueError, match="raw_score"):
        _softmax_call(method, y, np.zeros((4, 1)), None)  # a single column
    with pytest.raises(ValueError, match="sample_weight"):
        _softmax_call(method, y, np.zeros((4, 3)), np.ones(5))


def test_init_score_weight_shape_mismatch():
    with pytest.raises(ValueError, match="sample_weight"):
        BinaryFocalLoss().init_score(np.array([0, 1, 1]), np.ones(2))
    with pytest.raises(ValueError, match="sample_weight"):
        SoftmaxFocalLoss().init_score(np.array([0, 1, 2]), np.ones(4))


def test_bad_output_buffers():
    b = BinaryFocalLoss()
    y, z = np.array([0, 1]), np.zeros(2)
    with pytest.raises(ValueError, match="gradient_out"):
        b.gradient_hessian(y, z, gradient_out=np.empty(3))
    with pytest.raises(ValueError, match="hessian_out"):
        b.gradient_hessian(y, z, hessian_out=np.empty(2, dtype=np.float32))
    with pytest.raises(ValueError, match="loss_out"):
        b.loss(y, z, loss_out=np.empty(1))
    s = SoftmaxFocalLoss()
    with pytest.raises(ValueError, match="gradient_out"):
        s.gradient_hessian(y, np.zeros((2, 3)), gradient_out=np.empty((3, 2)))


def test_zero_total_weight_mean_loss():
    with pytest.raises(ValueError, match="sample_weight"):
        BinaryFocalLoss().mean_loss(np.array([0, 1]), np.zeros(2), np.zeros(2))


def test_adapters_reject_non_focal_loss():
    from focalboost.lightgbm import FocalMetric as LGBMetric
    from focalboost.lightgbm import FocalObjective as LGBObjective
    from focalboost.xgboost import FocalMetric as XGBMetric
    from focalboost.xgboost import FocalObjective as XGBObjective

    for cls in (LGBObjective, LGBMetric, XGBObjective, XGBMetric):
        with pytest.raises(TypeError, match="loss"):
            cls("binary")


def test_valid_edge_inputs_are_accepted():
    """The checks above do not reject legal inputs."""
    b = BinaryFocalLoss(alpha=0.25, gamma=2.0)
    for y in ([0, 1, 1], [False, True, True], np.array([0.0, 1.0, 1.0], dtype=np.float32)):
        b.gradient_hessian(y, [0.0, -3.0, 1e6], [0.0, 1.0, 2.0])  # zero weight is legal
        assert np.isfinite(b.init_score(y, [1.0, 0.0, 2.0]))
    s = SoftmaxFocalLoss(alpha=[1.0, 2.0, 3.0], gamma=2.0, hessian_factor="xgboost")
    for y in ([0, 1, 2], np.array([0.0, 1.0, 2.0]), np.array([0, 1, 2], dtype=np.uint8)):
        s.gradient_hessian(y, np.zeros((3, 3)), [0.0, 1.0, 2.0])
        assert np.all(np.isfinite(s.init_score(y)))


def test_mean_loss_empty_input_raises():
    with pytest.raises(ValueError, match="y_true"):
        BinaryFocalLoss().mean_loss(np.array([]), np.array([]))


def test_mean_loss_subnormal_mean_is_not_an_error():
    # log1p(exp(-745)) is the smallest subnormal; its mean underflows benignly
    with np.errstate(all="raise"):
        value = BinaryFocalLoss(gamma=0.0).mean_loss(np.array([1, 1]), np.array([745.0, 745.0]))
    assert 0.0 <= value < 1e-300
