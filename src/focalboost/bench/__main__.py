"""``python -m focalboost.bench``: the same as ``focalboost bench``."""

import sys

from focalboost.bench.cli import main

sys.exit(main(prog="python -m focalboost.bench"))
