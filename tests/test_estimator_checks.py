"""scikit-learn's ``check_estimator`` on the focal classifiers, against the plain boosters.

Acceptance criterion: no check fails for a focal classifier that does not also
fail for the plain booster classifier with the same small-data settings.  Both
estimators are run through ``check_estimator(..., on_fail=None)`` and the sets
of failing check names are compared; the expected failures are listed below
with the reason, read from the failure (scikit-learn 1.9.1, LightGBM 4.7.0,
XGBoost 3.2.0).  The sets are asserted exactly, so a new failure, or a check
that starts passing, is noticed and the list has to be revisited.  At the lower
bounds (``.ci/constraints-lowest.txt``) only the checks that the installed
scikit-learn has are expected, and older boosters add the failures listed in
``EXPECTED_FAILED_BEFORE``.
"""

from __future__ import annotations

import warnings

import lightgbm as lgb
import pytest
import xgboost as xgb
from sklearn.utils.estimator_checks import check_estimator

from focalboost.lightgbm import FocalLGBMClassifier
from focalboost.xgboost import FocalXGBClassifier

# small-data settings; n_jobs=1 keeps the runs deterministic and free of
# OpenMP oversubscription on shared CI machines
LGB_SETTINGS = {"n_estimators": 5, "min_child_samples": 1, "verbose": -1, "n_jobs": 1}
XGB_SETTINGS = {"n_estimators": 5, "n_jobs": 1}

EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "LGBMClassifier": {
        # `verbose=-1` goes through LGBMModel's **kwargs, which sets it as an
        # attribute although it is not an __init__ argument.
        "check_no_attributes_set_in_init": "verbose set from **kwargs",
        # LightGBM trains on all-zero sample weights without raising.
        "check_all_zero_sample_weights_error": "no error for all-zero weights",
        # The check uses continuous features, weights 0..4 and 15 rows:
        # LightGBM builds its histogram bins from all rows (zero-weight rows
        # included, min_data_in_bin=3 counts rows), so removing / repeating rows
        # is not the same as weights 0 / k.
        "check_sample_weight_equivalence_on_dense_data": "binning counts rows",
        "check_sample_weight_equivalence_on_sparse_data": "binning counts rows",
    },
    "FocalLGBMClassifier": {
        # same three causes as for LGBMClassifier: `verbose` from **kwargs
        # (FocalLGBMClassifier forwards **kwargs to LGBMClassifier) and
        # LightGBM's row-count based binning.  The focal classifier raises on
        # all-zero weights ("sample_weight are all zero"), so it passes
        # check_all_zero_sample_weights_error.
        "check_no_attributes_set_in_init": "verbose set from **kwargs",
        "check_sample_weight_equivalence_on_dense_data": "binning counts rows",
        "check_sample_weight_equivalence_on_sparse_data": "binning counts rows",
    },
    "XGBClassifier": {
        # fit() rewrites the public `objective` from binary:logistic to
        # multi:softprob for multiclass y.
        "check_estimators_overwrite_params": "objective mutated in fit",
        "check_dont_overwrite_parameters": "objective mutated in fit",
        # XGBClassifier does not encode labels: y must be 0..K-1 ("Invalid
        # classes inferred from unique values of `y`.  Expected: [0 1], got
        # [1 2]"); the checks use labels {1, 2}, strings or a single class 1.
        "check_estimators_dtypes": "labels must be 0..K-1",
        "check_sample_weights_pandas_series": "labels must be 0..K-1",
        "check_sample_weights_not_an_array": "labels must be 0..K-1",
        "check_sample_weights_shape": "labels must be 0..K-1",
        "check_sample_weights_not_overwritten": "labels must be 0..K-1",
        "check_classifier_data_not_an_array": "labels must be 0..K-1",
        "check_classifiers_classes": "labels must be 0..K-1",
        "check_fit2d_1sample": "labels must be 0..K-1",
        "check_fit2d_1feature": "labels must be 0..K-1",
        # all-zero weights end in a core error about base_score that does not
        # mention the weights.
        "check_all_zero_sample_weights_error": "error does not mention weights",
        # multilabel predict returns float64, not the dtype of y.
        "check_classifiers_multilabel_output_format_predict": "multilabel dtype",
    },
    # FocalXGBClassifier encodes labels, keeps `objective` out of its
    # parameters and does not claim multilabel support: every check passes.
    "FocalXGBClassifier": {},
}

# extra failures of the plain boosters before a release:
# class name -> [(package, (major, minor) of the first release without it, check, reason)]
EXPECTED_FAILED_BEFORE: dict[str, list[tuple[str, tuple[int, int], str, str]]] = {
    "XGBClassifier": [
        # XGBoost 3.1 fails a one-class fit with a core error ("base_score must be
        # in (0,1) for the logistic loss") that does not mention the class.
        ("xgboost", (3, 2), "check_classifiers_one_label_sample_weights", "core error"),
    ],
}

_VERSIONS = {"lightgbm": lgb.__version__, "xgboost": xgb.__version__}


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _expected_failures(name: str, ran: set[str]) -> set[str]:
    """Expected failing checks of estimator class ``name`` with the installed versions.

    Checks absent from the installed scikit-learn cannot fail (e.g.
    ``check_all_zero_sample_weights_error`` is new in scikit-learn 1.9).
    """
    expected = set(EXPECTED_FAILED_CHECKS[name])
    for package, first_fixed, check, _reason in EXPECTED_FAILED_BEFORE.get(name, []):
        if _minor(_VERSIONS[package]) < first_fixed:
            expected.add(check)
    return expected & ran


# checks that may be skipped (SkipTest inside the check) and why
ALLOWED_SKIPS = {
    # needs SCIPY_ARRAY_API=1 and array-API tags; not a claim of these estimators
    "check_array_api_input",
    # XGBClassifier has no decision_function (only the plain booster skips it)
    "check_classifiers_multilabel_output_format_decision_function",
}


def _run_checks(estimator) -> tuple[dict[str, str], set[str], set[str]]:
    """Failing check names -> first line of the error, the skipped and all run names."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None)
    assert len(results) > 40  # the checks did run
    failed = {}
    skipped = set()
    for r in results:
        if r["status"] == "failed":
            failed.setdefault(r["check_name"], str(r["exception"]).strip().splitlines()[0])
        elif r["status"] == "skipped":
            skipped.add(r["check_name"])
    return failed, skipped, {r["check_name"] for r in results}


@pytest.mark.parametrize(
    ("plain", "ours"),
    [
        (lgb.LGBMClassifier(**LGB_SETTINGS), FocalLGBMClassifier(**LGB_SETTINGS)),
        (xgb.XGBClassifier(**XGB_SETTINGS), FocalXGBClassifier(**XGB_SETTINGS)),
    ],
    ids=["lightgbm", "xgboost"],
)
def test_check_estimator_failures_are_those_of_the_plain_booster(plain, ours) -> None:
    failed_plain, skipped_plain, ran_plain = _run_checks(plain)
    failed_ours, skipped_ours, ran_ours = _run_checks(ours)

    only_ours = set(failed_ours) - set(failed_plain)
    assert not only_ours, {name: failed_ours[name] for name in only_ours}

    assert set(failed_ours) == _expected_failures(type(ours).__name__, ran_ours), failed_ours
    assert set(failed_plain) == _expected_failures(type(plain).__name__, ran_plain), failed_plain
    # no check is silently skipped
    assert skipped_ours <= ALLOWED_SKIPS
    assert skipped_plain <= ALLOWED_SKIPS
