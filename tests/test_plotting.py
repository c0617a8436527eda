"""Reliability diagrams and precision-recall curves (Agg backend)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from focalboost.plotting import pr_curves, reliability_diagram  # noqa: E402


@pytest.fixture
def two_models():
    rng = np.random.default_rng(0)
    p = rng.beta(0.5, 4.0, size=2000)
    y = (rng.random(2000) < p).astype(int)
    under = 0.5 * p + 0.25  # under-confident
    return {"calibrated": (y, p), "under-confident": (y, np.column_stack([1 - under, under]))}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_reliability_diagram_png(two_models, tmp_path):
    ax = reliability_diagram(two_models, n_bins=10)
    assert ax.get_xlabel().startswith("Mean predicted probability")
    assert ax.get_ylabel().startswith("Fraction of positives")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "Perfectly calibrated"
    assert legend[1].startswith("calibrated (ECE = ")
    assert len(ax.get_lines()) == 3  # diagonal + two models
    path = tmp_path / "reliability.png"
    ax.figure.savefig(path)
    assert path.exists()
    assert path.stat().st_size > 0


def test_reliability_diagram_on_given_axes(two_models):
    _, axes = plt.subplots(1, 2)
    out = reliability_diagram(two_models, strategy="uniform", ax=axes[1])
    assert out is axes[1]
    assert len(axes[0].get_lines()) == 0


def test_pr_curves_png(two_models, tmp_path):
    ax = pr_curves(two_models)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("calibrated (AP = ")
    assert legend[-1] == "Chance level"
    path = tmp_path / "pr.png"
    ax.figure.savefig(path)
    assert path.stat().st_size > 0


@pytest.mark.parametrize("func", [reliability_diagram, pr_curves])
def test_bad_input(func):
    y = np.array([0, 1, 1, 0])
    p = np.array([0.1, 0.8, 0.7, 0.3])
    with pytest.raises(TypeError, match="dict mapping model names"):
        func([(y, p)])
    with pytest.raises(ValueError, match="empty"):
        func({})
    with pytest.raises(ValueError, match="pair"):
        func({"m": (y, p, p)})
    with pytest.raises(ValueError, match="as many samples"):
        func({"m": (y[:3], p)})
    with pytest.raises(ValueError, match="binary problems only"):
        func({"m": (y, np.full((4, 3), 1 / 3))})
    with pytest.raises(ValueError, match="NaN"):
        func({"m": (y, np.array([0.1, np.nan, 0.2, 0.3]))})


def test_reliability_diagram_rejects_non_probabilities():
    with pytest.raises(ValueError, match=r"'m'.*probabilities"):
        reliability_diagram({"m": (np.array([0, 1]), np.array([-0.5, 2.0]))})


def test_pr_curves_need_binary_labels():
    with pytest.raises(ValueError, match="both classes"):
        pr_curves({"m": (np.array([0, 0, 0]), np.array([0.1, 0.2, 0.3]))})


def test_missing_matplotlib_names_the_extra(two_models, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"focalboost\[plot\]"):
        reliability_diagram(two_models)
    with pytest.raises(ImportError, match=r"focalboost\[plot\]"):
        pr_curves(two_models)
