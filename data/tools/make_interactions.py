"""Generate data/catalog/RAW_interactions.csv for the bundled catalog, reproducibly.

The bundled recipes were written by the team, so they have no real reviews. This script gives
them ratings in Food.com's RAW_interactions format with Food.com's shape: a long tail of
recipes with a handful of ratings and a few with hundreds, a heavy 5-star skew, and about 5%
rating-0 rows (a review without a rating). A recipe's latent quality shifts its stars, so the
Bayesian average carries a real signal. Seeded: the same catalog always gives the same file.

    python data/tools/make_interactions.py  [--seed 7]
"""

from __future__ import annotations

import argparse
import ast
import csv
import datetime as dt
import random
from pathlib import Path

CATALOG = Path(__file__).resolve().parents[1] / "catalog"

REVIEWS = {
    5: [
        "Absolutely delicious, will make again!",
        "Perfect as written. My family loved it.",
        "Best version I have tried. Thanks for posting!",
        "Easy and so tasty, this is a keeper.",
        "Made this for guests and everyone asked for the recipe.",
        "Wonderful flavor, I would not change a thing.",
    ],
    4: [
        "Very good. I added a little more seasoning.",
        "Tasty and easy; next time I will cut the salt a bit.",
        "Good recipe, took a bit longer than stated.",
        "We enjoyed it. I doubled the garlic.",
    ],
    3: [
        "It was okay, a bit bland for us.",
        "Decent but needed some tweaking.",
        "Fine for a weeknight, nothing special.",
    ],
    2: ["Not what I expected, too dry.", "The timing was off and it came out mushy."],
    1: ["Did not work for me at all.", "Sorry, we did not like this one."],
    0: [
        "Have not made it yet but it looks great!",
        "Bookmarked for later &amp; can&#039;t wait to try it.",
        "Question: can this be frozen?",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with (CATALOG / "RAW_recipes.csv").open(newline="", encoding="utf-8") as f:
        recipes = list(csv.DictReader(f))
    users = [rng.randint(1_000, 2_999_999) for _ in range(2_500)]
    user_weights = [1 / (i + 1) ** 0.8 for i in range(len(users))]  # a few very active reviewers
    rows: list[tuple[int, int, str, int, str]] = []
    for recipe in recipes:
        tags = ast.literal_eval(recipe["tags"])
        quality = rng.betavariate(5, 2)  # most recipes are liked; a few are not
        popularity = rng.lognormvariate(1.6, 1.1) * (1.6 if "easy" in tags else 1.0)
        count = min(400, int(popularity))
        submitted = dt.date.fromisoformat(recipe["submitted"])
        reviewers = set()
        for _ in range(count):
            user = rng.choices(users, weights=user_weights)[0]
            if user in reviewers:
                continue
            reviewers.add(user)
            if rng.random() < 0.05:
                stars = 0
            else:
                mean = 3.4 + 1.9 * quality
                stars = max(1, min(5, round(rng.gauss(mean, 0.65))))
            days = rng.randint(1, max(2, (dt.date(2018, 12, 18) - submitted).days))
            date = submitted + dt.timedelta(days=days)
            rows.append((user, int(recipe["id"]), date.isoformat(), stars, rng.choice(REVIEWS[stars])))
    rows.sort(key=lambda r: (r[1], r[2]))
    with (CATALOG / "RAW_interactions.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["user_id", "recipe_id", "date", "rating", "review"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} interactions for {len(recipes)} recipes")


if __name__ == "__main__":
    main()
