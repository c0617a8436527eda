"""Generate the example notebooks (run: ``python notebooks/make_notebooks.py``)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

SETUP = """\
import sys
from pathlib import Path

try:
    import focalboost
except ImportError:  # running from a source checkout without installing
    sys.path.insert(0, str(Path.cwd().parent / "src"))
    import focalboost

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

print("focalboost", focalboost.__version__)"""


def binary() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# Binary walkthrough: German credit (`credit_g`)\n\n"
            "Fit a focal-loss LightGBM model, tune `gamma` × `alpha`, compare calibrations, "
            "draw a reliability diagram and choose a decision threshold — using only the "
            "training data for every choice. The minority class (bad risk) is `1`."
        ),
        new_code_cell(SETUP),
        new_code_cell(
            "from sklearn.model_selection import train_test_split\n"
            "from focalboost.datasets import load_dataset\n\n"
            'X, y = load_dataset("credit_g")\n'
            "X_train, X_test, y_train, y_test = train_test_split(\n"
            "    X, y, test_size=0.3, stratify=y, random_state=0\n)\n"
            "print(X.shape, 'positive rate', round(y.mean(), 3))\n"
            "X.dtypes.value_counts()"
        ),
        new_markdown_cell("## 1. A first focal model"),
        new_code_cell(
            "from sklearn.metrics import average_precision_score, log_loss\n"
            "from focalboost import FocalLGBMClassifier\n"
            "from focalboost.metrics import expected_calibration_error\n\n"
            "common = dict(n_estimators=150, learning_rate=0.05, num_leaves=15, verbose=-1,\n"
            "              random_state=0, n_jobs=1)\n"
            "clf = FocalLGBMClassifier(gamma=2.0, **common).fit(X_train, y_train)\n"
            "p = clf.predict_proba(X_test)[:, 1]\n"
            "print(f'PR-AUC {average_precision_score(y_test, p):.3f}  '\n"
            "      f'log loss {log_loss(y_test, p):.3f}  '\n"
            "      f'ECE {expected_calibration_error(y_test, p):.3f}')"
        ),
        new_markdown_cell(
            "## 2. Tune `gamma` and `alpha` by cross-validation on the training set\n\n"
            "Scored by average precision (PR-AUC), the metric that matters for a rare "
            "positive class."
        ),
        new_code_cell(
            "from sklearn.model_selection import GridSearchCV, StratifiedKFold\n\n"
            "grid = {'gamma': [0.5, 1.0, 2.0, 3.0], 'alpha': [None, 'balanced', 0.25, 0.75]}\n"
            "search = GridSearchCV(\n"
            "    FocalLGBMClassifier(**common), grid, scoring='average_precision',\n"
            "    cv=StratifiedKFold(3, shuffle=True, random_state=0),\n"
            ").fit(X_train, y_train)\n"
            "print('best', search.best_params_, round(search.best_score_, 3))\n"
            "res = pd.DataFrame(search.cv_results_)\n"
            "res.pivot_table(index='param_gamma', columns=res['param_alpha'].map(repr),\n"
            "                values='mean_test_score').round(3)"
        ),
        new_markdown_cell(
            "## 3. Calibrate\n\n"
            "`calibration=None` is the raw sigmoid of the focal margin (over-/under-confident "
            "for `gamma > 0`); `'focal'` (default) applies the closed-form focal-to-posterior "
            "map; a data-driven isotonic map fitted by scikit-learn's "
            "`CalibratedClassifierCV` is shown for comparison."
        ),
        new_code_cell(
            "from sklearn.base import clone\n"
            "from sklearn.calibration import CalibratedClassifierCV\n\n"
            "best = search.best_params_\n"
            "models = {\n"
            "    'raw (calibration=None)': FocalLGBMClassifier(calibration=None, **best, **common),\n"
            "    'focal map (default)': FocalLGBMClassifier(**best, **common),\n"
            "    'isotonic (CV)': CalibratedClassifierCV(\n"
            "        FocalLGBMClassifier(calibration=None, **best, **common),\n"
            "        method='isotonic', cv=3),\n"
            "}\n"
            "proba = {}\n"
            "for name, m in models.items():\n"
            "    proba[name] = clone(m).fit(X_train, y_train).predict_proba(X_test)[:, 1]\n"
            "pd.DataFrame({\n"
            "    name: {'PR-AUC': average_precision_score(y_test, q),\n"
            "           'log loss': log_loss(y_test, np.clip(q, 1e-15, 1 - 1e-15)),\n"
            "           'ECE': expected_calibration_error(y_test, q)}\n"
            "    for name, q in proba.items()\n"
            "}).T.round(4)"
        ),
        new_code_cell(
            "from sklearn.calibration import calibration_curve\n\n"
            "fig, ax = plt.subplots(figsize=(5, 5))\n"
            "ax.plot([0, 1], [0, 1], 'k:', lw=1)\n"
            "for name, q in proba.items():\n"
            "    frac, mean_p = calibration_curve(y_test, q, n_bins=10, strategy='quantile')\n"
            "    ax.plot(mean_p, frac, marker='o', label=name)\n"
            "ax.set(xlabel='mean predicted probability', ylabel='observed frequency',\n"
            "       title='Reliability diagram (test set)')\n"
            "ax.legend()\n"
            "plt.show()"
        ),
        new_markdown_cell(
            "## 4. Choose a decision threshold\n\n"
            "The threshold maximising F1 is chosen on out-of-fold predictions of the "
            "*training* set, then applied once to the test set."
        ),
        new_code_cell(
            "from sklearn.metrics import confusion_matrix, f1_score, precision_recall_curve\n"
            "from sklearn.model_selection import cross_val_predict\n\n"
            "final = FocalLGBMClassifier(**best, **common)\n"
            "oof = cross_val_predict(final, X_train, y_train, method='predict_proba',\n"
            "                        cv=StratifiedKFold(3, shuffle=True, random_state=1))[:, 1]\n"
            "prec, rec, thr = precision_recall_curve(y_train, oof)\n"
            "f1 = 2 * prec[:-1] * rec[:-1] / np.maximum(prec[:-1] + rec[:-1], 1e-12)\n"
            "threshold = thr[np.argmax(f1)]\n"
            "p_test = final.fit(X_train, y_train).predict_proba(X_test)[:, 1]\n"
            "pred = (p_test >= threshold).astype(int)\n"
            "print(f'threshold {threshold:.3f}: test F1 {f1_score(y_test, pred):.3f} '\n"
            "      f'(F1 at 0.5: {f1_score(y_test, (p_test >= 0.5).astype(int)):.3f})')\n"
            "confusion_matrix(y_test, pred)"
        ),
        new_markdown_cell(
            "## 5. Explain one high-risk prediction with SHAP\n\n"
            "SHAP values of a focal model are in **margin space**: a row's values plus the "
            "expected value (which includes the focal init score, carried by the booster) add "
            "up to its margin, `decision_function`. The calibrated probability is the "
            "focal-to-posterior map of that margin, which is increasing: every positive "
            "contribution raises the risk, but contributions do not add up in probabilities."
        ),
        new_code_cell(
            "import shap\n\n"
            "explainer = shap.TreeExplainer(final)\n"
            "i = int(np.argmax(p_test))  # the applicant with the highest predicted risk\n"
            "row = X_test.iloc[[i]]\n"
            "sv = explainer(row)\n"
            "margin = final.decision_function(row)[0]\n"
            "total = sv.values[0].sum() + sv.base_values[0]\n"
            "print(f'sum of SHAP values {sv.values[0].sum():+.4f} + expected value '\n"
            "      f'{sv.base_values[0]:+.4f} = {total:+.4f}; margin {margin:+.4f}')\n"
            "print(f'calibrated probability {final.predict_proba(row)[0, 1]:.3f} = focal map of '\n"
            "      f'the margin {final.loss_.posterior_proba([margin])[0, 1]:.3f}')\n"
            "assert abs(total - margin) < 1e-6\n"
            "shap.plots.waterfall(sv[0], max_display=10, show=False)\n"
            "plt.title('Why this applicant is high risk (margin space)')\n"
            "plt.show()"
        ),
        new_markdown_cell(
            "## 6. Deploy: export to ONNX\n\n"
            "The tuned model, with its focal map, goes into one ONNX graph "
            "(`pip install 'focalboost[onnx]' onnxruntime`). A float64 sample gives the graph "
            "a float64 input, so the trees compare features with LightGBM's own float64 "
            "thresholds. onnxruntime's probabilities and labels are checked against "
            "`predict_proba` and `predict` on the test set; the decision threshold above is "
            "applied to the exported probabilities unchanged."
        ),
        new_code_cell(
            "import onnxruntime as ort\n"
            "import focalboost.onnx\n\n"
            "onx = focalboost.onnx.to_onnx(final, X_train.to_numpy(np.float64)[:1],\n"
            "                              options={'zipmap': False})\n"
            "sess = ort.InferenceSession(onx.SerializeToString(),\n"
            "                            providers=['CPUExecutionProvider'])\n"
            "label, proba = sess.run(None, {'X': X_test.to_numpy(np.float64)})\n"
            "dp = np.abs(proba - final.predict_proba(X_test)).max()\n"
            "same = (label == final.predict(X_test)).all()\n"
            "print(f'{len(onx.SerializeToString()) / 1024:.0f} KiB, max |dp| {dp:.1e}, '\n"
            "      f'labels identical: {same}, test F1 at the threshold: '\n"
            "      f'{f1_score(y_test, (proba[:, 1] >= threshold).astype(int)):.3f}')\n"
            "assert dp <= 1e-5 and same"
        ),
    ]
    return new_notebook(cells=cells, metadata=_meta())


def multiclass() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# Multiclass: steel plate faults with per-class `alpha`\n\n"
            "Seven fault types, from 673 to 55 examples. We compare the softmax focal loss "
            "with no class weights, `alpha='balanced'` and a hand-made per-class `alpha` "
            "dictionary against plain multiclass LightGBM."
        ),
        new_code_cell(SETUP),
        new_code_cell(
            "from sklearn.model_selection import train_test_split\n"
            "from focalboost.datasets import load_dataset\n\n"
            'X, y = load_dataset("steel_plates_faults")\n'
            "X_train, X_test, y_train, y_test = train_test_split(\n"
            "    X, y, test_size=0.3, stratify=y, random_state=0\n)\n"
            "y.value_counts()"
        ),
        new_markdown_cell(
            "A per-class `alpha` is a dict `{label: weight}`; here the inverse square root "
            "of the class frequency, softer than `'balanced'` (inverse frequency)."
        ),
        new_code_cell(
            "freq = y_train.value_counts(normalize=True)\n"
            "alpha = (1 / np.sqrt(freq)).to_dict()\n"
            "{k: round(v, 2) for k, v in alpha.items()}"
        ),
        new_code_cell(
            "import lightgbm as lgb\n"
            "from sklearn.metrics import (average_precision_score, balanced_accuracy_score,\n"
            "                             f1_score, log_loss)\n"
            "from sklearn.preprocessing import label_binarize\n"
            "from focalboost import FocalLGBMClassifier\n"
            "from focalboost.metrics import expected_calibration_error\n\n"
            "common = dict(n_estimators=150, learning_rate=0.05, num_leaves=15, verbose=-1,\n"
            "              random_state=0, n_jobs=1)\n"
            "models = {\n"
            "    'lgbm multiclass log loss': lgb.LGBMClassifier(**common),\n"
            "    'focal, alpha=None': FocalLGBMClassifier(gamma=2.0, **common),\n"
            "    \"focal, alpha='balanced'\": FocalLGBMClassifier(gamma=2.0, alpha='balanced',\n"
            "                                                    **common),\n"
            "    'focal, alpha=1/sqrt(freq)': FocalLGBMClassifier(gamma=2.0, alpha=alpha,\n"
            "                                                     **common),\n"
            "}\n"
            "rows, fitted = {}, {}\n"
            "for name, m in models.items():\n"
            "    m.fit(X_train, y_train)\n"
            "    P = m.predict_proba(X_test)\n"
            "    Y = label_binarize(y_test, classes=m.classes_)\n"
            "    pred = m.classes_[P.argmax(1)]\n"
            "    fitted[name] = (m, P)\n"
            "    rows[name] = {\n"
            "        'macro PR-AUC': average_precision_score(Y, P, average='macro'),\n"
            "        'macro F1': f1_score(y_test, pred, average='macro'),\n"
            "        'balanced acc': balanced_accuracy_score(y_test, pred),\n"
            "        'log loss': log_loss(y_test, P, labels=m.classes_),\n"
            "        'classwise ECE': expected_calibration_error(\n"
            "            y_test, P, classwise=True, labels=m.classes_),\n"
            "    }\n"
            "pd.DataFrame(rows).T.round(4)"
        ),
        new_markdown_cell("Per-class F1: where does the weighting help?"),
        new_code_cell(
            "per_class = {}\n"
            "for name, (m, P) in fitted.items():\n"
            "    pred = m.classes_[P.argmax(1)]\n"
            "    per_class[name] = f1_score(y_test, pred, average=None, labels=m.classes_)\n"
            "table = pd.DataFrame(per_class, index=fitted[name][0].classes_)\n"
            "table['n_test'] = y_test.value_counts().reindex(table.index)\n"
            "table.sort_values('n_test').round(3)"
        ),
        new_code_cell(
            "ax = table.drop(columns='n_test').sort_values('focal, alpha=None').plot.barh(\n"
            "    figsize=(7, 5))\n"
            "ax.set_xlabel('test F1')\n"
            "plt.tight_layout()\n"
            "plt.show()"
        ),
    ]
    return new_notebook(cells=cells, metadata=_meta())


def _meta() -> dict:
    return {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }


if __name__ == "__main__":
    for name, nb in (("binary_credit_walkthrough", binary()), ("multiclass_defects", multiclass())):
        nbformat.validate(nb)
        nbformat.write(nb, HERE / f"{name}.ipynb")
        print("wrote", HERE / f"{name}.ipynb")
