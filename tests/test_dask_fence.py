"""The version fence of focalboost.dask: private booster APIs only inside the tested range.

``focalboost.dask`` calls private functions of ``lightgbm.dask`` and
``xgboost.dask`` / ``xgboost.sklearn``.  Its import checks the installed booster
versions against ``SUPPORTED_VERSIONS`` and fails with an ImportError naming the
range; ``.ci/run`` runs the Dask tests at both ends of that range.  These tests feed
version strings to the check (the versions actually installed passed it when the
module was imported) and compare the range with the ``dask`` extra of pyproject.toml.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("dask")
pytest.importorskip("distributed")
pytest.importorskip("lightgbm")
pytest.importorskip("xgboost")

from focalboost.dask import SUPPORTED_VERSIONS, _check_booster_versions

RANGE_TEXT = "lightgbm 4.6-4.7 and xgboost 3.1-3.2"


@pytest.mark.parametrize(
    ("lightgbm", "xgboost"),
    [
        ("4.6.0", "3.1.0"),
        ("4.7.0", "3.2.0"),
        ("4.7.1", "3.1.3"),
        ("4.6.0.post1", "3.2.1"),
    ],
)
def test_versions_inside_the_range_pass(lightgbm: str, xgboost: str) -> None:
    _check_booster_versions({"lightgbm": lightgbm, "xgboost": xgboost})


@pytest.mark.parametrize(
    ("package", "version"),
    [
        ("lightgbm", "4.5.0"),
        ("lightgbm", "4.8.0"),
        ("lightgbm", "4.8.0rc1"),  # a pre-release of an untested minor release
        ("lightgbm", "5.0.0"),
        ("lightgbm", "3.3.5"),
        ("xgboost", "3.0.5"),
        ("xgboost", "3.3.0.dev0"),
        ("xgboost", "2.1.4"),
        ("xgboost", "4.0.0"),
        ("xgboost", "unknown"),
    ],
)
def test_versions_outside_the_range_name_the_range(package: str, version: str) -> None:
    versions = {"lightgbm": "4.7.0", "xgboost": "3.2.0", package: version}
    with pytest.raises(ImportError) as info:
        _check_booster_versions(versions)
    msg = str(info.value)
    assert RANGE_TEXT in msg
    assert f"found {package} {version}." in msg
    other = "xgboost" if package == "lightgbm" else "lightgbm"
    assert f"{other} {versions[other]}" not in msg  # only the offending package is named


def test_both_boosters_outside_are_both_named() -> None:
    with pytest.raises(ImportError, match=r"found lightgbm 4\.0\.0, xgboost 2\.0\.3\."):
        _check_booster_versions({"lightgbm": "4.0.0", "xgboost": "2.0.3"})


def _dask_extra() -> dict[str, str]:
    """Requirement strings of the ``dask`` extra in pyproject.toml, by package name."""
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    line = re.search(r"^dask = \[(.*)\]$", text, flags=re.MULTILINE)
    assert line is not None, "pyproject.toml has no one-line `dask = [...]` extra"
    reqs = re.findall(r'"([^"]+)"', line.group(1))
    return {re.match(r"[A-Za-z0-9_.-]+", r).group(0): r for r in reqs}


def test_pyproject_dask_extra_states_the_same_range() -> None:
    extra = _dask_extra()
    for name, ((lo_major, lo_minor), (hi_major, hi_minor)) in SUPPORTED_VERSIONS.items():
        spec = extra[name][len(name) :].replace(" ", "")
        bounds = set(spec.split(","))
        assert bounds == {f">={lo_major}.{lo_minor}", f"<{hi_major}.{hi_minor + 1}"}, extra[name]
