"""``python -m services.recommender``: run the recommender service."""

import importlib.abc
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType


class _WithoutPandas(importlib.abc.MetaPathFinder):
    """Make ``import pandas`` fail in this process.

    pyarrow imports pandas opportunistically on its first conversion when pandas is installed.
    The recommender never uses pandas and its image does not ship it, but in a development venv
    (every extra installed) that import costs 0.5-2 s of the 2 s start-up budget, or lands on
    the first request. pyarrow treats the ImportError as "no pandas". Only the service process
    is affected; library users of services.recommender (mlops) are not.
    """

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname == "pandas" or fullname.startswith("pandas."):
            raise ModuleNotFoundError(f"{fullname} is not used by the recommender service", name=fullname)
        return None


sys.meta_path.insert(0, _WithoutPandas())

# One BLAS thread, set before numpy loads OpenBLAS. The recommender's products are small
# (a 100-200 row pool against one query), where a second thread gains nothing, and an idle
# OpenBLAS worker spins for milliseconds after each call: measured ~2 ms of CPU per Recommend
# taken from the embeddings process and the gateway on the same two cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from services.common.config import load_settings  # noqa: E402
from services.common.server import run_service  # noqa: E402
from services.recommender.config import RecommenderSettings  # noqa: E402
from services.recommender.service import RecommenderService  # noqa: E402


def main() -> int:
    settings = load_settings(RecommenderSettings)
    return run_service(RecommenderService(settings), settings)


if __name__ == "__main__":
    raise SystemExit(main())
