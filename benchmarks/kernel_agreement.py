#!/usr/bin/env python
"""Agreement of this checkout's focal kernels with another revision's, output by output.

Evaluates every public kernel path (binary and softmax loss, gradient and
Hessian in the three Hessian modes, several gammas including integer and
non-integer ones, alpha, sample weights, float32 inputs, C and Fortran order,
init scores, posterior maps) on one fixed random sample with margins up to
±100, once with ``src/`` of a reference revision (``git archive``) and once with
this checkout, each in a fresh interpreter, and prints the largest relative
difference of each quantity.

Relative differences are ``|new - ref| / |ref|`` over entries with
``|ref| > 1e-300``.  The exact Hessian changes sign (it crosses zero for badly
misclassified rows), so near its zero any rounding change is a large relative
change; it is also reported relative to the scale ``|h_irls| + |h_exact|`` of
the terms it is made of.

Usage::

    python benchmarks/kernel_agreement.py --ref main
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

_REPO = Path(__file__).resolve().parents[1]
GAMMAS = (0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 5.0)
MODES = ("positive", "exact", "irls")


def _compute(out_path: str) -> None:
    """Child: evaluate everything with the focalboost on sys.path, save to ``out_path``."""
    from focalboost import BinaryFocalLoss, SoftmaxFocalLoss

    rng = np.random.default_rng(20240601)
    res: dict[str, np.ndarray] = {}
    n = 120_000  # above the parallel threshold, so both code paths run
    z = np.concatenate([rng.normal(0, 3, n // 2), rng.uniform(-100, 100, n // 4),
                        rng.uniform(-40, 40, n // 4)])
    y = (rng.random(n) < 0.3).astype(np.float64)
    w = rng.exponential(1.0, n)
    for gamma in GAMMAS:
        for alpha in (None, 0.25):
            for mode in MODES:
                loss = BinaryFocalLoss(alpha=alpha, gamma=gamma, hessian=mode)
                key = f"bin/g={gamma}/a={alpha}/{mode}"
                res[key + "/grad"], res[key + "/hess"] = loss.gradient_hessian(y, z)
                res[key + "/grad_w"], res[key + "/hess_w"] = loss.gradient_hessian(y, z, w)
                res[key + "/grad_f32"], res[key + "/hess_f32"] = loss.gradient_hessian(
                    y.astype(np.float32), z.astype(np.float32))
            res[f"bin/g={gamma}/a={alpha}/loss"] = loss.loss(y, z, w)
            res[f"bin/g={gamma}/a={alpha}/init"] = np.array([loss.init_score(y),
                                                             loss.init_score(y, w)])
            res[f"bin/g={gamma}/a={alpha}/posterior"] = loss.posterior_logit(z[:20_000])
    n = 60_000
    for k in (2, 3, 10):
        zs = np.concatenate([rng.normal(0, 3, (n // 2, k)), rng.uniform(-100, 100, (n // 4, k)),
                             rng.uniform(-30, 30, (n // 4, k))])
        ys = rng.integers(0, k, n).astype(np.float64)
        ws = rng.exponential(1.0, n)
        alpha = rng.uniform(0.5, 2.0, k)
        for gamma in GAMMAS:
            for mode in MODES:
                loss = SoftmaxFocalLoss(alpha=alpha, gamma=gamma, hessian=mode,
                                        hessian_factor="lightgbm")
                key = f"sm/k={k}/g={gamma}/{mode}"
                res[key + "/grad"], res[key + "/hess"] = loss.gradient_hessian(ys, zs, ws)
                gf = np.empty((n, k), order="F")
                hf = np.empty((n, k), order="F")
                loss.gradient_hessian(ys.astype(np.float32), np.asfortranarray(zs),
                                      gradient_out=gf, hessian_out=hf)
                res[key + "/grad_F"], res[key + "/hess_F"] = gf, hf
            res[f"sm/k={k}/g={gamma}/loss"] = loss.loss(ys, zs, ws)
            res[f"sm/k={k}/g={gamma}/init"] = np.concatenate([loss.init_score(ys, n_classes=k),
                                                              loss.init_score(ys, ws)])
            res[f"sm/k={k}/g={gamma}/posterior"] = loss.posterior_proba(zs[:10_000])
    np.savez(out_path, **res)


def _run(src: Path, out: Path) -> None:
    code = (f"import sys; sys.path.insert(0, {str(src)!r}); sys.path.insert(1, "
            f"{str(Path(__file__).resolve().parent)!r}); import kernel_agreement as m; "
            f"m._compute({str(out)!r})")
    subprocess.run([sys.executable, "-c", code], check=True)


def _rel(new: np.ndarray, ref: np.ndarray, scale: np.ndarray | None = None) -> float:
    scale = np.abs(ref) if scale is None else scale
    m = scale > 1e-300
    if not m.any():
        return 0.0 if np.array_equal(new, ref) else float("inf")
    return float(np.max(np.abs(new - ref)[m] / scale[m]))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ref", default="main", help="git revision to compare with")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        archive = subprocess.run(["git", "-C", str(_REPO), "archive", args.ref, "src"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        _run(tmp / "src", tmp / "ref.npz")
        _run(_REPO / "src", tmp / "new.npz")
        ref, new = np.load(tmp / "ref.npz"), np.load(tmp / "new.npz")
        worst: dict[str, tuple[float, str]] = {}
        identical = 0
        for key in ref.files:
            a, b = new[key], ref[key]
            identical += np.array_equal(a, b)
            parts = key.split("/")
            kind = parts[0]
            quantity = parts[-1]
            mode = next((x for x in parts if x in MODES), "")
            group = f"{kind} {quantity} {mode}".strip()
            d = _rel(a, b)
            if d > worst.get(group, (-1.0, ""))[0]:
                worst[group] = (d, key)
            if mode == "exact" and quantity.startswith("hess"):
                irls = ref[key.replace("/exact/", "/irls/")]
                d = _rel(a, b, np.abs(irls) + np.abs(b))
                group = f"{kind} {quantity} exact, relative to |h_irls| + |h|"
                if d > worst.get(group, (-1.0, ""))[0]:
                    worst[group] = (d, key)
    print(f"Reference: {args.ref}; {len(ref.files)} outputs, {identical} bit-identical.\n")
    print("| quantity | max relative difference | at |")
    print("|---|---:|---|")
    for group in sorted(worst):
        d, key = worst[group]
        print(f"| {group} | {d:.2e} | `{key}` |")


if __name__ == "__main__":
    main()
