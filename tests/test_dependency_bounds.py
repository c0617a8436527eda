"""The lowest-versions job of ``.ci/run`` pins exactly the lower bounds of pyproject.toml.

Every runtime dependency and every package of the ``lightgbm``, ``xgboost``,
``plot``, ``bench`` and ``dask`` extras has a ``>=`` bound in pyproject.toml (the
highest one where two extras name it) and a ``==`` pin in
``.ci/constraints-lowest.txt`` at that same version, so raising a bound
without moving its pin (or the reverse) fails here instead of leaving the bound
untested.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PINNED_EXTRAS = ("lightgbm", "xgboost", "plot", "bench", "dask")


def _release(version: str) -> tuple[int, ...]:
    """Release numbers with trailing zeros dropped: 1.10 == 1.10.0."""
    parts = [int(p) for p in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _pyproject_bounds() -> dict[str, str]:
    text = (ROOT / "pyproject.toml").read_text()
    deps = re.search(r"^dependencies = \[(.*?)^\]", text, flags=re.MULTILINE | re.DOTALL)
    assert deps is not None
    blocks = [deps.group(1)]
    for extra in PINNED_EXTRAS:
        line = re.search(rf"^{extra} = \[(.*)\]$", text, flags=re.MULTILINE)
        assert line is not None, f"no one-line `{extra} = [...]` extra in pyproject.toml"
        blocks.append(line.group(1))
    bounds: dict[str, str] = {}
    for block in blocks:
        for req in re.findall(r'"([^"]+)"', block):
            if req.startswith("focalboost["):
                continue
            m = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*)", req)
            assert m is not None, req
            lower = re.search(r">=\s*([0-9][0-9.]*)", m.group(2))
            assert lower is not None, f"{req!r} has no >= lower bound"
            name = m.group(1).lower()
            # a package named twice (an extra and dask's range): pip installing every
            # extra (the test extra does) enforces the higher of the two lower bounds
            if name not in bounds or _release(lower.group(1)) > _release(bounds[name]):
                bounds[name] = lower.group(1)

    return bounds


def _pins() -> dict[str, str]:
    pins = {}
    for raw in (ROOT / ".ci" / "constraints-lowest.txt").read_text().splitlines():
        line = raw.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def test_every_bound_is_pinned_at_its_value() -> None:
    bounds, pins = _pyproject_bounds(), _pins()
    assert {"numpy", "lightgbm", "xgboost", "dask"} <= set(bounds)  # the parse found them
    assert set(bounds) == set(pins)
    for name, bound in bounds.items():
        assert _release(pins[name]) == _release(bound), (name, bound, pins[name])
