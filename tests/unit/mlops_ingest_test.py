"""Ingest on the real public samples (shared datasets), on schema.org shapes and on broken input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mlops.config import MlopsSettings
from mlops.ingest.command import ingest
from mlops.ingest.pipeline import detect_inputs, run_ingest
from services.recommender.catalog import CATALOG_SCHEMA
from tests.unit.mlops_support import settings_fixture  # noqa: F401 - fixture

HEADER = [
    "name",
    "id",
    "minutes",
    "contributor_id",
    "submitted",
    "tags",
    "nutrition",
    "n_steps",
    "steps",
    "description",
    "ingredients",
    "n_ingredients",
]


def _row(rid: int, **overrides: str) -> list[str]:
    values = {
        "name": f"recipe {rid}",
        "id": str(rid),
        "minutes": "30",
        "contributor_id": "5",
        "submitted": "2010-01-02",
        "tags": "['main-dish', 'mexican']",
        "nutrition": "[300.0, 10.0, 5.0, 20.0, 30.0, 8.0, 12.0]",
        "n_steps": "2",
        "steps": "['mix', 'bake']",
        "description": "tasty",
        "ingredients": "['flour', 'water']",
        "n_ingredients": "2",
    } | overrides
    return [values[h] for h in HEADER]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_real_foodcom_samples_ingest_with_a_quality_report(shared_datasets: Path, tmp_path: Path) -> None:
    """amaldre (ISO dates), karakolodinsky (M/D/YYYY, a record with an unbalanced quote) and
    zizgao interactions (YYYY/M/D, HTML entities, rating 0) all pass, with warnings counted."""
    inputs = detect_inputs(
        [
            shared_datasets / "foodcom-karakolodinsky",
            shared_datasets / "foodcom-amaldre" / "RAW_recipes_sample.csv",
            shared_datasets / "foodcom-amaldre" / "RAW_interactions_sample.csv",
            shared_datasets / "foodcom-zizgao" / "RAW_interactions.csv",
        ]
    )
    result = run_ingest(inputs, tmp_path)
    assert result.ok, result.report.summary()
    catalog = pq.read_table(result.catalog_path)
    assert catalog.schema.equals(CATALOG_SCHEMA)
    assert catalog.num_rows == 1297  # 299 + 1000 minus the 2 shared ids
    checks = {c.name: c for c in result.report.checks.values()}
    assert checks["duplicate_ids"].count == 2 and checks["duplicate_ids"].status == "warn"
    assert checks["malformed_rows"].count == 1  # karakolodinsky interactions row 29
    assert "row 29" in checks["malformed_rows"].examples[0].describe()
    rows = {r["id"]: r for r in catalog.to_pylist()}
    assert rows[137739]["submitted"] == "2005-09-16"  # M/D/YYYY
    assert rows[137739]["name"] == "arriba baked winter squash mexican style"  # spaces collapsed
    assert rows[137739]["cuisine"] == "mexican"
    interactions = pq.read_table(result.interactions_path).to_pylist()
    dates = {i["date"] for i in interactions}
    assert "2017-08-18" in dates  # YYYY/M/D
    reviews = " ".join(i["review"] for i in interactions)
    assert "&#039;" not in reviews and "<br/>" not in reviews
    # rating 0 is "no rating": it never lowers an average
    rated = [r for r in rows.values() if r["rating_count"]]
    assert rated and all(1.0 <= r["rating_average"] <= 5.0 for r in rated)
    assert result.report.stats["rating_histogram"]["0"] > 0
    summary = (tmp_path / "quality.md").read_text()
    assert "Data quality: WARN" in summary and "duplicate_ids" in summary
    assert json.loads((tmp_path / "quality.json").read_text())["status"] == "warn"


def test_rating_zero_is_excluded_from_the_average(tmp_path: Path) -> None:
    recipes = _write_csv(tmp_path / "RAW_recipes.csv", HEADER, [_row(1), _row(2)])
    interactions = _write_csv(
        tmp_path / "RAW_interactions.csv",
        ["user_id", "recipe_id", "date", "rating", "review"],
        [
            ["9", "1", "2012-01-01", "4", "ok"],
            ["8", "1", "1/2/2012", "0", "no stars"],
            ["7", "1", "2012/1/3", "5", "great &amp; easy"],
        ],
    )
    result = run_ingest(detect_inputs([recipes, interactions]), tmp_path / "out")
    rows = {r["id"]: r for r in pq.read_table(result.catalog_path).to_pylist()}
    assert rows[1]["rating_average"] == pytest.approx(4.5) and rows[1]["rating_count"] == 2
    assert rows[2]["rating_average"] is None and rows[2]["rating_count"] is None


def test_minutes_outlier_becomes_unknown_and_is_reported(tmp_path: Path) -> None:
    rows = [_row(i) for i in range(1, 200)] + [_row(200, minutes="2147483647")]
    result = run_ingest(detect_inputs([_write_csv(tmp_path / "r.csv", HEADER, rows)]), tmp_path / "out")
    assert result.ok
    check = result.report.checks["minutes_outliers"]
    assert check.status == "warn" and check.count == 1
    assert check.examples[0].row == 201 and check.examples[0].column == "minutes"
    by_id = {r["id"]: r for r in pq.read_table(result.catalog_path).to_pylist()}
    assert by_id[200]["minutes"] is None and by_id[1]["minutes"] == 30


def test_broken_csv_fails_naming_file_row_and_column(settings: MlopsSettings, tmp_path: Path) -> None:
    broken = _write_csv(
        tmp_path / "RAW_recipes.csv", HEADER, [_row(1), _row(2, nutrition="[1.0, oops]"), _row(3, submitted="someday")]
    )
    result = ingest(settings, [broken])
    assert not result.ok
    issues = [e.describe() for e in result.report.checks["parse_errors"].examples]
    assert any("RAW_recipes.csv, row 3, column 'nutrition'" in i for i in issues), issues
    assert any("row 4, column 'submitted'" in i for i in issues), issues


def test_cli_exits_non_zero_and_names_the_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlops.cli import main

    broken = _write_csv(tmp_path / "RAW_recipes.csv", HEADER, [_row(1, id="abc")])
    code = main(["--artifacts", str(tmp_path / "a"), "ingest", str(broken)])
    assert code == 1
    assert "row 2, column 'id'" in capsys.readouterr().err


def test_missing_column_fails(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "r.csv", [h for h in HEADER if h != "nutrition"], [_row(1)[:6] + _row(1)[7:]])
    result = run_ingest(detect_inputs([path]), tmp_path / "out")
    assert not result.ok
    assert result.report.checks["schema"].examples[0].column == "nutrition"


def test_bundled_format_maps_spanish_columns_to_localized(tmp_path: Path) -> None:
    header = [*HEADER, "name_es", "description_es", "ingredients_es", "steps_es", "cuisine", "servings"]
    row = [*_row(1), "Receta uno", "sabrosa", "['harina', 'agua']", "['mezclar', 'hornear']", "peruvian", "4"]
    result = run_ingest(
        detect_inputs([_write_csv(tmp_path / "RAW_recipes.csv", header, [row])], "bundled"), tmp_path / "out"
    )
    recipe = pq.read_table(result.catalog_path).to_pylist()[0]
    assert recipe["localized"] == [
        {
            "language": "es",
            "name": "Receta uno",
            "description": "sabrosa",
            "ingredients": ["harina", "agua"],
            "steps": ["mezclar", "hornear"],
        }
    ]
    assert (recipe["cuisine"], recipe["servings"], recipe["source"]) == ("peruvian", 4, "bundled")


def test_recipe_scrapers_testdata_ingests(shared_datasets: Path, tmp_path: Path) -> None:
    result = run_ingest(detect_inputs([shared_datasets / "recipe-scrapers-testdata"]), tmp_path)
    assert result.ok, result.report.summary()
    catalog = pq.read_table(result.catalog_path).to_pylist()
    assert len(catalog) > 1000
    assert {r["language"] for r in catalog} >= {"en", "es", "de"}
    soup = next(r for r in catalog if r["name"] == "Broccoli Soup with Coconut Milk")
    assert soup["minutes"] == 20 and soup["sodium_mg"] == 629 and soup["rating_count"] == 5
    assert soup["source"] == "schema.org:101cookbooks.com"


def test_schema_org_shapes(tmp_path: Path) -> None:
    """One object, a list, an @graph, HowToSection steps, and JSON-LD inside an HTML page."""
    folder = tmp_path / "jsonld"
    folder.mkdir()
    base = {"@context": "https://schema.org", "@type": "Recipe", "recipeIngredient": ["2 eggs", "1 cup milk"]}
    (folder / "one.json").write_text(
        json.dumps(
            {
                **base,
                "name": "Pancakes",
                "url": "https://a.example/pancakes",
                "totalTime": "PT25M",
                "recipeInstructions": [{"@type": "HowToStep", "text": "Mix."}, {"@type": "HowToStep", "text": "Fry."}],
                "nutrition": {"calories": "240 calories", "sodiumContent": "0.4 g"},
                "recipeYield": ["4", "4 servings"],
                "aggregateRating": {"ratingValue": "4.6", "ratingCount": "120"},
                "keywords": "Breakfast, Easy",
                "inLanguage": "en-US",
            }
        )
    )
    (folder / "many.jsonld").write_text(
        json.dumps(
            [
                {
                    **base,
                    "name": "Crepes",
                    "url": "https://a.example/crepes",
                    "recipeInstructions": "Whisk.\nCook thin.",
                },
                {"@type": "WebPage", "name": "not a recipe"},
            ]
        )
    )
    (folder / "graph.json").write_text(
        json.dumps(
            {
                "@graph": [
                    {"@type": "Organization", "name": "Site"},
                    {
                        **base,
                        "@type": ["Recipe", "NewsArticle"],
                        "name": "Tortilla",
                        "url": "https://b.example/tortilla",
                        "recipeInstructions": [
                            {
                                "@type": "HowToSection",
                                "itemListElement": [{"text": "Fry potatoes."}, {"text": "Add eggs."}],
                            }
                        ],
                        "inLanguage": "es",
                    },
                ]
            }
        )
    )
    script = json.dumps({**base, "name": "Flan", "url": "https://c.example/flan", "recipeInstructions": ["Bake."]})
    (folder / "page.html").write_text(f'<html><script type="application/ld+json">{script}</script></html>')
    result = run_ingest(detect_inputs([folder]), tmp_path / "out")
    assert result.ok, result.report.summary()
    rows = {r["name"]: r for r in pq.read_table(result.catalog_path).to_pylist()}
    assert set(rows) == {"Pancakes", "Crepes", "Tortilla", "Flan"}
    pancakes = rows["Pancakes"]
    assert pancakes["steps"] == ["Mix.", "Fry."] and pancakes["minutes"] == 25 and pancakes["servings"] == 4
    assert pancakes["calories_kcal"] == 240 and pancakes["sodium_mg"] == pytest.approx(400)
    assert (pancakes["rating_average"], pancakes["rating_count"]) == (4.6, 120)
    assert pancakes["tags"] == ["breakfast", "easy"]
    assert rows["Crepes"]["steps"] == ["Whisk.", "Cook thin."]
    assert rows["Tortilla"]["steps"] == ["Fry potatoes.", "Add eggs."] and rows["Tortilla"]["language"] == "es"


def test_unreadable_json_fails(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    result = run_ingest(detect_inputs([tmp_path / "bad.json"]), tmp_path / "out")
    assert not result.ok
    assert "bad.json" in result.report.checks["unreadable_json"].examples[0].describe()


def test_unknown_csv_header_is_a_usage_error(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "x.csv", ["a", "b"], [["1", "2"]])
    with pytest.raises(ValueError, match="header matches neither"):
        detect_inputs([path])
