"""Focal-loss boosting on Dask: a LocalCluster on the loopback interface.

Run with ``python examples/dask_local_cluster.py`` (needs ``focalboost[dask]``).

On a real cluster only two things change (see the comments marked CLUSTER):
connect the Client to the scheduler instead of starting a LocalCluster, and
read the data where the workers can reach it (e.g. ``dd.read_parquet`` on
shared storage or object store) instead of building it in the client.
"""

from __future__ import annotations

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

from focalboost.dask import FocalDaskLGBMClassifier, FocalDaskXGBClassifier


def main() -> None:
    # CLUSTER: client = Client("tcp://scheduler-host:8786")  -- no LocalCluster
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    )
    client = Client(cluster)
    try:
        # CLUSTER: the workers read their own partitions, e.g.
        #   df = dd.read_parquet("s3://bucket/train/*.parquet")
        #   X, y = df.drop(columns="label"), df["label"]
        # (Dask DataFrames work as they are; keep X, y, weights in the same partitions.)
        rng = np.random.default_rng(0)
        n = 20_000
        X_np = rng.normal(size=(n, 8))
        y_np = (X_np[:, 0] + 0.5 * X_np[:, 1] + rng.normal(size=n) > 2.0).astype(int)  # ~8% pos.
        X = da.from_array(X_np, chunks=(5_000, 8))  # row blocks only: one block = all columns
        y = da.from_array(y_np, chunks=5_000)

        # The focal parameters and defaults are those of FocalLGBMClassifier /
        # FocalXGBClassifier.  Classes, alpha="balanced" (if asked) and the focal-optimal init
        # score come from one distributed pass over the labels; each worker computes
        # focal gradients on its own partitions.
        lgbm = FocalDaskLGBMClassifier(gamma=2.0, n_estimators=50, verbose=-1).fit(X, y)
        xgbm = FocalDaskXGBClassifier(gamma=2.0, n_estimators=50).fit(X, y)

        for name, model in (("LightGBM", lgbm), ("XGBoost", xgbm)):
            proba = model.predict_proba(X)  # a lazy Dask Array, computed per block
            p = proba[:, 1].compute()
            print(
                f"{name}: init score {model.init_score_:+.4f}, mean P(y=1) {p.mean():.4f} "
                f"(prevalence {y_np.mean():.4f})"
            )

        # A single-machine estimator with the same booster (same predictions), e.g.
        # for serving or model.save_model(...):
        local = lgbm.to_local()
        print(type(local).__name__, local.predict_proba(X_np[:3]).round(4).tolist())
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":  # needed: the LocalCluster starts worker processes
    main()
