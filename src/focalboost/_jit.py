"""The Numba decorators of focalboost's compiled kernels, and where their cache goes.

Compiled kernels are cached on disk so that a process compiles each signature
once per machine, not once per run.  Numba looks for a writable cache
directory in this order: ``NUMBA_CACHE_DIR`` when set, the ``__pycache__``
folder beside the source file, then the user-wide cache (``~/.cache/numba`` or
``$XDG_CACHE_HOME/numba``); where none is writable (a read-only installation in
a container whose home is read-only too) it refuses to compile a cached
function at all.  :func:`kernel` keeps Numba's order and adds two fallbacks:

1. a folder ``focalboost-numba-<uid>`` in the temporary directory
   (:func:`tempfile.gettempdir`, which honours ``TMPDIR``);
2. no cache: kernels are compiled in every new process, and one
   :class:`RuntimeWarning` says so.

Only the top-level kernels are cached; the functions they inline
(:func:`inline`) never run on their own, so they need no cache location.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
from numba import njit

#: Options of every compiled function: release the GIL, NumPy's division semantics.
_COMMON = {"nogil": True, "error_model": "numpy"}

# None: not decided yet; "": Numba's own locations work; a path: our fallback folder;
# False: no writable location, compile without a cache.
_fallback: str | bool | None = None


def inline(fn: Callable) -> Any:
    """A scalar helper compiled into its callers (Numba-level inlining, no cache)."""
    return njit(inline="always", **_COMMON)(fn)


def _temporary_cache_dir() -> str | None:
    """A writable folder for the cache in the temporary directory, or None."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    try:  # gettempdir itself raises when no candidate folder is writable
        path = Path(tempfile.gettempdir()) / f"focalboost-numba-{uid}"
        path.mkdir(mode=0o700, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError:
        return None
    return str(path)


def _njit_in(cache_dir: str, fn: Callable) -> Any:
    """``njit(cache=True)`` with Numba's cache folder set to ``cache_dir`` for this function.

    Numba fixes a function's cache location when it is decorated, reading
    ``numba.config.CACHE_DIR``; the previous value is restored at once, so the
    user's other Numba functions are not affected.
    """
    saved = numba.config.CACHE_DIR
    numba.config.CACHE_DIR = cache_dir
    try:
        return njit(cache=True, **_COMMON)(fn)
    finally:
        numba.config.CACHE_DIR = saved


def kernel(fn: Callable) -> Any:
    """A top-level compiled kernel, cached on disk where a writable location exists."""
    global _fallback
    if _fallback is None or _fallback == "":
        try:
            compiled = njit(cache=True, **_COMMON)(fn)
        except RuntimeError as exc:  # Numba: "cannot cache function ...: no locator available"
            if "locator" not in str(exc):
                raise
        else:
            _fallback = ""
            return compiled
        if not hasattr(numba.config, "CACHE_DIR"):  # pragma: no cover - numba without it
            _fallback = False
        else:
            _fallback = _temporary_cache_dir() or False
        if _fallback is False:
            warnings.warn(
                "focalboost: no writable directory for Numba's kernel cache (the package "
                "folder, the home directory and the temporary directory are read-only); "
                "kernels for large inputs are compiled again in every process. Set "
                "NUMBA_CACHE_DIR to a writable folder to cache them.",
                RuntimeWarning,
                stacklevel=2,
            )
    if _fallback is False:
        return njit(cache=False, **_COMMON)(fn)
    return _njit_in(str(_fallback), fn)


def cache_location() -> str:
    """Where the kernels are cached: "numba" (Numba's own), a folder, or "none"."""
    if _fallback is False:
        return "none"
    return _fallback or "numba"
