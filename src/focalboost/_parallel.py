"""Row-parallel execution of the serial Numba kernels on a small thread pool.

The kernels of :mod:`focalboost._kernels` are compiled with ``nogil=True`` and
work on any slice of rows, so large inputs are split into contiguous parts run
on Python threads that release the GIL.  Compared with Numba's
``parallel=True`` kernels this

* halves the first-call compile time (no parfor compilation, which also
  re-optimises the whole row loop a second time), and each signature is
  compiled once for both small and large inputs;
* is safe to call from several threads at once whatever Numba's threading
  layer (the ``workqueue`` layer aborts on concurrent parallel calls), and
  never nests thread pools;
* uses as many threads as :func:`numba.get_num_threads` (so
  ``NUMBA_NUM_THREADS`` and :func:`numba.set_num_threads` apply as before).

The pool is created on first use and recreated after a fork.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numba

#: Parts per thread: a thread that is descheduled for a while holds up at most
#: one small part while the others take the rest.
PARTS_PER_THREAD = 4

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid = -1


def _get_pool(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid() or _pool._max_workers < workers:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="focalboost")
            _pool_pid = os.getpid()
        return _pool


def run_rows(call: Callable[[int, int], int], n: int, parallel: bool) -> int:
    """Run ``call(lo, hi)`` over rows ``0..n`` and return the sum of its results.

    With ``parallel`` and more than one Numba thread, the rows are split into
    contiguous parts taken in turn by the calling thread and
    ``numba.get_num_threads() - 1`` pool threads; otherwise one call does all.
    """
    threads = numba.get_num_threads() if parallel else 1
    if threads <= 1 or n < 2:
        return call(0, n)
    parts = min(threads * PARTS_PER_THREAD, n)
    bounds = [(n * i) // parts for i in range(parts + 1)]
    counter = itertools.count()  # next() is atomic under the GIL

    def worker() -> int:
        total = 0
        while (i := next(counter)) < parts:
            total += call(bounds[i], bounds[i + 1])
        return total

    futures = [_get_pool(threads - 1).submit(worker) for _ in range(threads - 1)]
    total = worker()
    for f in futures:
        if not f.cancel():  # a task still queued behind other calls' work is dropped
            total += f.result()
    return total
