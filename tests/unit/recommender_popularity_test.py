"""Bayesian average popularity."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from services.recommender.popularity import bayesian_average, fit_prior, normalise


def test_prior_is_the_mean_of_all_ratings_and_the_median_count() -> None:
    average = np.array([5.0, 4.0, np.nan, 3.0])
    count = np.array([1, 9, 0, 10])
    prior = fit_prior(average, count)
    assert prior.mean == pytest.approx((5 * 1 + 4 * 9 + 3 * 10) / 20)
    assert prior.weight == 9.0
    assert prior.rated_recipes == 3
    assert prior.total_ratings == 20


def test_formula_and_unrated_recipes() -> None:
    average = np.array([5.0, 4.8, np.nan, 3.0, 3.5])
    count = np.array([1, 400, 0, 50, 20])
    prior = fit_prior(average, count)
    bayes = bayesian_average(average, count, prior)
    c, m = prior.weight, prior.mean
    assert bayes[0] == pytest.approx((c * m + 5.0) / (c + 1))
    assert bayes[2] == pytest.approx(m)
    # Many 4.8 ratings beat a single 5.
    assert bayes[1] > bayes[0]


def test_normalise_maps_the_rating_scale_onto_unit_interval() -> None:
    assert normalise(np.array([1.0, 3.0, 5.0, 6.0])).tolist() == [0.0, 0.5, 1.0, 1.0]


def test_without_any_rating_everything_is_neutral() -> None:
    prior = fit_prior(np.array([np.nan, np.nan]), np.array([0, 0]))
    assert prior.mean == 3.0
    assert bayesian_average(np.array([np.nan, np.nan]), np.array([0, 0]), prior).tolist() == [3.0, 3.0]


def test_real_foodcom_interactions(shared_datasets: Path) -> None:
    """On real, 5-star-skewed Food.com ratings the shrinkage orders recipes sensibly."""
    ratings: dict[int, list[int]] = defaultdict(list)
    with (shared_datasets / "foodcom-zizgao" / "RAW_interactions.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if int(row["rating"]) > 0:  # 0 means "no rating"
                ratings[int(row["recipe_id"])].append(int(row["rating"]))
    ids = sorted(ratings)
    average = np.array([np.mean(ratings[i]) for i in ids])
    count = np.array([len(ratings[i]) for i in ids])
    prior = fit_prior(average, count)
    bayes = bayesian_average(average, count, prior)
    assert 4.0 < prior.mean < 5.0
    assert bayes.min() >= average.min() and bayes.max() <= average.max()
    # Every perfect score with a single rating sits below the best well-rated recipe.
    single_fives = (count == 1) & (average == 5.0)
    well_rated = (count >= 10) & (average >= 4.9)
    assert single_fives.any() and well_rated.any()
    assert bayes[single_fives].max() < bayes[well_rated].max()
