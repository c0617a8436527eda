"""focalboost in a locked-down container: nothing but the temporary directory is writable.

The package directory, the Python environment and HOME are bind-mounted
read-only in a private mount namespace (``unshare --mount``; as root, file
modes would be ignored, a read-only mount is not).  In there a child process
imports focalboost, fits and predicts with both boosters, on a small table (the
NumPy kernels) and on one large enough for the compiled kernels, whose Numba
cache must then fall back to the temporary directory, or, when that is
read-only too, to no cache with exactly one warning.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import focalboost

CHILD = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("always")
    with warnings.catch_warnings(record=True) as caught:
        import numpy as np
        import focalboost
        from focalboost import FocalLGBMClassifier, FocalXGBClassifier
        from focalboost import _jit
        pkg = focalboost.__path__[0]
        try:
            open(pkg + "/probe-write", "w").close()
            read_only = False
        except OSError:
            read_only = True
        rng = np.random.default_rng(0)
        out = {"read_only": read_only}
        for n in (5_000, 30_000):  # below and above COMPILED_MIN_VALUES
            X = rng.normal(size=(n, 10))
            y = (X[:, 0] + rng.normal(size=n) > 1.5).astype(int)
            for cls in (FocalLGBMClassifier, FocalXGBClassifier):
                kw = {"verbose": -1} if cls is FocalLGBMClassifier else {}
                p = cls(n_estimators=10, n_jobs=1, **kw).fit(X, y).predict_proba(X)
                out[f"{cls.__name__}-{n}"] = bool(np.isfinite(p).all() and p.shape == (n, 2))
        out["cache"] = _jit.cache_location()
    out["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught
                       if "focalboost" in str(w.message)]
    print("RESULT" + json.dumps(out))
    """
)


def _unshare_works() -> str | None:
    """None when read-only bind mounts in a private namespace work here, else why not."""
    if sys.platform != "linux":
        return "needs Linux mount namespaces"
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "needs the unshare and mount commands (util-linux)"
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "mount", "--bind", "-o", "ro", "/",
         "/"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return f"cannot create a private mount namespace here: {probe.stderr.strip()}"
    return None


def _run_read_only(read_only: list[Path], tmpdir: Path, home: Path) -> dict:
    """Run CHILD with ``read_only`` mounted read-only, TMPDIR=tmpdir, HOME=home, cwd=home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CACHE")}
    env.update({"HOME": str(home), "TMPDIR": str(tmpdir), "PYTHONDONTWRITEBYTECODE": "1"})
    env.pop("XDG_CACHE_HOME", None)
    script = tmpdir.parent / "child.py"
    script.write_text(CHILD)
    mounts = " && ".join(f'mount --bind -o ro "{p}" "{p}"' for p in read_only)
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
           f'{mounts} && exec "{sys.executable}" "{script}"']
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, cwd=home)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(s for s in proc.stdout.splitlines() if s.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


def _probe_read_only(read_only: list[Path], home: Path, code: str) -> str:
    """'' when ``code`` runs under the read-only mounts, else the last line of its error."""
    mounts = " && ".join(f'mount --bind -o ro "{p}" "{p}"' for p in read_only)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CACHE")}
    env.update({"HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"})
    proc = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f'{mounts} && exec "{sys.executable}" -c "{code}"'],
        env=env, capture_output=True, text=True, timeout=300, cwd=home)
    return "" if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["?"])[-1]


@pytest.fixture(scope="module")
def locked_down(tmp_path_factory):
    reason = _unshare_works()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("locked")
    home, tmpdir = base / "home", base / "tmp"
    home.mkdir()
    tmpdir.mkdir()
    package = Path(focalboost.__file__).resolve().parent
    environment = Path(sys.prefix).resolve()
    read_only = [package, home] + ([] if package.is_relative_to(environment) else [environment])
    return read_only, tmpdir, home


def test_import_fit_predict_with_only_tmp_writable(locked_down):
    read_only, tmpdir, home = locked_down
    out = _run_read_only(read_only, tmpdir, home)
    assert out.pop("read_only") is True  # the package folder really was read-only
    assert out.pop("warnings") == []
    cache = out.pop("cache")
    assert Path(cache).parent == tmpdir  # the compiled kernels were cached in the tmp folder
    assert any(Path(cache).iterdir())
    assert all(out.values()), out


def test_no_writable_folder_at_all_compiles_without_cache(locked_down):
    read_only, tmpdir, home = locked_down
    # tempfile.gettempdir() tries TMPDIR, /tmp, /var/tmp, /usr/tmp and the working folder
    system_tmp = [Path(p) for p in ("/tmp", "/var/tmp", "/usr/tmp") if Path(p).is_dir()]
    mounts = [*read_only, tmpdir, *system_tmp]
    probe = _probe_read_only(mounts, home, "import scipy.stats")
    if probe:  # scipy < 1.14: scipy.stats opens a temporary file when it is imported
        pytest.skip(f"this scipy cannot be imported without a writable temporary folder: {probe}")
    out = _run_read_only(mounts, tmpdir, home)
    assert out.pop("read_only") is True
    warnings = out.pop("warnings")
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("RuntimeWarning: focalboost: no writable directory")
    assert out.pop("cache") == "none"
    assert all(out.values()), out
