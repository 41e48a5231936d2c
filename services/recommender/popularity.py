"""Popularity: the Bayesian average rating, and its normalisation to a [0, 1] ranking signal.

A plain mean ranks a recipe with a single 5-star rating above one with 400 ratings averaging
4.8. The Bayesian average shrinks each recipe's mean towards the catalog mean ``m`` with the
weight of ``C`` virtual ratings:

    bayesian_average = (C * m + count * average) / (C + count)

* ``m`` is the mean of all non-zero ratings in the catalog (every rating counts once, so it is
  the count-weighted mean of the per-recipe averages). Without any rating it is 3.0, the
  middle of the 1..5 scale.
* ``C`` is the median rating count among rated recipes (at least 1): a recipe needs about as
  many ratings as a typical rated recipe before its own mean outweighs the prior.
* A recipe without ratings gets exactly ``m``.

The ranking signal is ``popularity = (bayesian_average - 1) / 4``, the 1..5 scale mapped onto
[0, 1], so that ``alpha * semantic + (1 - alpha) * popularity`` mixes two signals of the same
range (the predecessor's blend).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

RATING_MIN = 1.0
RATING_MAX = 5.0
DEFAULT_PRIOR_MEAN = 3.0
FORMULA = "bayesian_average = (C*m + count*average) / (C + count); popularity = (bayesian_average - 1) / 4"


@dataclass(frozen=True)
class PopularityPrior:
    """The prior of the Bayesian average, recorded in the bundle manifest."""

    mean: float  # m
    weight: float  # C
    rated_recipes: int
    total_ratings: int

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "formula": FORMULA}


def _float_array(values: pa.Array | pa.ChunkedArray | np.ndarray) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(np.float64)
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)  # nulls become NaN


def _arrays(average: pa.Array | np.ndarray, count: pa.Array | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    avg = _float_array(average)
    cnt = _float_array(count)
    cnt = np.nan_to_num(cnt, nan=0.0)
    avg = np.where(cnt > 0, np.nan_to_num(avg, nan=0.0), 0.0)
    return avg, cnt


def fit_prior(average: pa.Array | np.ndarray, count: pa.Array | np.ndarray) -> PopularityPrior:
    """Estimate ``m`` and ``C`` from a catalog's per-recipe rating averages and counts."""
    avg, cnt = _arrays(average, count)
    rated = cnt > 0
    total = float(cnt[rated].sum())
    mean = float((avg[rated] * cnt[rated]).sum() / total) if total else DEFAULT_PRIOR_MEAN
    weight = max(1.0, float(np.median(cnt[rated]))) if rated.any() else 1.0
    return PopularityPrior(mean=mean, weight=weight, rated_recipes=int(rated.sum()), total_ratings=int(total))


def bayesian_average(
    average: pa.Array | np.ndarray, count: pa.Array | np.ndarray, prior: PopularityPrior
) -> np.ndarray:
    """Per-recipe Bayesian average rating (float64), ``prior.mean`` for unrated recipes."""
    avg, cnt = _arrays(average, count)
    return (prior.weight * prior.mean + cnt * avg) / (prior.weight + cnt)


def normalise(bayes: np.ndarray) -> np.ndarray:
    """Map Bayesian averages on the 1..5 scale to the [0, 1] ranking signal (float32)."""
    scaled = (np.asarray(bayes, dtype=np.float64) - RATING_MIN) / (RATING_MAX - RATING_MIN)
    return np.clip(scaled, 0.0, 1.0).astype(np.float32)
