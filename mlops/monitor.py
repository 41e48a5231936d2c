"""``mlops monitor``: structured events about the data and the model over time, and a summary.

Three checks, each written as one JSON event line to ``artifacts/monitor/events.jsonl``:

- ``catalog_drift``: the newest bundle's catalog against the previous one (or ``--baseline``):
  size, added/removed recipes, and the population stability index (PSI) of minutes, calories,
  ingredient count and average rating, plus the total-variation distance of cuisines and tags.
  PSI < 0.1 is stable, 0.1-0.25 a warning, above 0.25 an alert (the usual credit-risk bands).
- ``rating_distribution``: the ratings histogram, the unrated share (rating 0) and the mean.
- ``evaluation_trend``: nDCG@10 and the other ranking metrics over the evaluation reports;
  an alert when the newest run lost more than ``REGRESSION_ALERT`` against the best so far.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlops.config import MlopsSettings
from mlops.reports import report_history, write_report
from mlops.tracking import Tracker

Severity = Literal["info", "warning", "alert"]
PSI_WARNING = 0.1
PSI_ALERT = 0.25
TVD_WARNING = 0.1
REGRESSION_ALERT = 0.02
TREND_METRICS = ("ndcg@10", "recall@10", "mrr@10", "crosslingual_overlap@10")


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """Population stability index over quantile bins of ``expected`` (0 = same distribution)."""
    expected = expected[np.isfinite(expected)]
    actual = actual[np.isfinite(actual)]
    if len(expected) < 2 or len(actual) < 2:
        return 0.0
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return 0.0
    edges[0], edges[-1] = -np.inf, np.inf
    e = np.histogram(expected, edges)[0] / len(expected)
    a = np.histogram(actual, edges)[0] / len(actual)
    e, a = np.clip(e, 1e-4, None), np.clip(a, 1e-4, None)
    return float(np.sum((a - e) * np.log(a / e)))


def tvd(expected: Counter[str], actual: Counter[str]) -> float:
    """Total-variation distance between two categorical distributions (0..1)."""
    te, ta = sum(expected.values()) or 1, sum(actual.values()) or 1
    keys = set(expected) | set(actual)
    return 0.5 * sum(abs(expected[k] / te - actual[k] / ta) for k in keys)


def _severity(value: float, warning: float, alert: float) -> Severity:
    return "alert" if value > alert else "warning" if value > warning else "info"


def _worst(severities: Sequence[Severity]) -> Severity:
    order = {"info": 0, "warning": 1, "alert": 2}
    return max(severities, key=lambda s: order[s], default="info")


def _profile(path: Path) -> dict[str, Any]:
    table = pq.read_table(path)
    as_float = lambda name: table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)  # noqa: E731
    return {
        "ids": set(table.column("id").to_pylist()),
        "minutes": as_float("minutes"),
        "calories_kcal": as_float("calories_kcal"),
        "n_ingredients": pc.list_value_length(table.column("ingredients")).to_numpy(zero_copy_only=False).astype(float),
        "rating_average": as_float("rating_average"),
        "cuisine": Counter(c or "unknown" for c in table.column("cuisine").to_pylist()),
        "tags": Counter(t for tags in table.column("tags").to_pylist() for t in tags or []),
    }


def catalog_drift(baseline: Path, current: Path) -> dict[str, Any]:
    base, cur = _profile(baseline), _profile(current)
    numeric = {
        name: psi(base[name], cur[name]) for name in ("minutes", "calories_kcal", "n_ingredients", "rating_average")
    }
    categorical = {"cuisine": tvd(base["cuisine"], cur["cuisine"]), "tags": tvd(base["tags"], cur["tags"])}
    severities = [_severity(v, PSI_WARNING, PSI_ALERT) for v in numeric.values()]
    severities += [_severity(v, TVD_WARNING, 2 * TVD_WARNING) for v in categorical.values()]
    n_base, n_cur = len(base["ids"]), len(cur["ids"])
    return {
        "event": "catalog_drift",
        "severity": _worst(severities),
        "baseline": str(baseline),
        "current": str(current),
        "recipes_baseline": n_base,
        "recipes_current": n_cur,
        "added": len(cur["ids"] - base["ids"]),
        "removed": len(base["ids"] - cur["ids"]),
        "size_change": (n_cur - n_base) / n_base if n_base else 0.0,
        "psi": numeric,
        "tvd": categorical,
    }


def rating_distribution(interactions: Path) -> dict[str, Any]:
    ratings = pq.read_table(interactions, columns=["rating"]).column("rating").to_numpy()
    hist = np.bincount(ratings.astype(np.int64), minlength=6)[:6]
    rated = ratings[ratings > 0]
    unrated_share = float(hist[0] / len(ratings)) if len(ratings) else 0.0
    five_share = float(hist[5] / len(rated)) if len(rated) else 0.0
    # Food.com's own shape: ~6% unrated, ~72% of rated are 5 stars. Far from it suggests a feed problem.
    severity: Severity = "warning" if unrated_share > 0.25 or (len(rated) and five_share < 0.3) else "info"
    return {
        "event": "rating_distribution",
        "severity": severity,
        "interactions": len(ratings),
        "histogram": {str(k): int(v) for k, v in enumerate(hist)},
        "unrated_share": unrated_share,
        "five_star_share_of_rated": five_share,
        "mean_rating": float(rated.mean()) if len(rated) else None,
    }


def evaluation_trend(reports: Path, window: int = 10) -> dict[str, Any]:
    history = []
    for path in report_history(reports, "evaluate")[-window:]:
        data = json.loads(path.read_text())
        history.append({"report": path.name, **{m: data.get("metrics", {}).get(m) for m in TREND_METRICS}})
    event: dict[str, Any] = {"event": "evaluation_trend", "severity": "info", "runs": len(history), "history": history}
    if len(history) >= 2:
        latest = history[-1]
        for metric in TREND_METRICS:
            values = [h[metric] for h in history[:-1] if h.get(metric) is not None]
            if values and latest.get(metric) is not None:
                drop = max(values) - latest[metric]
                event[f"{metric}_drop_from_best"] = drop
                if drop > REGRESSION_ALERT:
                    event["severity"] = "alert"
    return event


def _bundle_catalogs(bundles: Path) -> list[Path]:
    """Catalogs of the local bundles, oldest first."""
    found = (
        [p / "catalog.parquet" for p in sorted(bundles.iterdir()) if (p / "catalog.parquet").exists()]
        if bundles.is_dir()
        else []
    )
    return sorted(found, key=lambda p: p.stat().st_mtime)


def monitor(
    settings: MlopsSettings, *, baseline: Path | None = None, current: Path | None = None
) -> tuple[list[dict[str, Any]], Path]:
    paths = settings.paths
    events: list[dict[str, Any]] = []
    catalogs = _bundle_catalogs(paths.bundles)
    current = current or (catalogs[-1] if catalogs else paths.catalog if paths.catalog.exists() else None)
    if baseline is None and len(catalogs) >= 2 and current == catalogs[-1]:
        baseline = catalogs[-2]
    if baseline is not None and current is not None:
        events.append(catalog_drift(baseline, current))
    else:
        events.append(
            {
                "event": "catalog_drift",
                "severity": "info",
                "note": "only one catalog version so far; nothing to compare",
            }
        )
    if paths.interactions.exists():
        events.append(rating_distribution(paths.interactions))
    events.append(evaluation_trend(paths.reports))
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    paths.monitor.mkdir(parents=True, exist_ok=True)
    with (paths.monitor / "events.jsonl").open("a", encoding="utf-8") as fh:
        for event in events:
            event["ts"] = stamp
            fh.write(json.dumps(event, default=str) + "\n")
    markdown = summary_markdown(events)
    with Tracker(settings, "monitor") as run:
        metrics: dict[str, Any] = {}
        for event in events:
            for key, value in {
                **event.get("psi", {}),
                **{f"tvd_{k}": v for k, v in event.get("tvd", {}).items()},
            }.items():
                metrics[f"drift_{key}"] = value
            for key in ("unrated_share", "mean_rating", "five_star_share_of_rated", "added", "removed"):
                if key in event:
                    metrics[key] = event[key]
        metrics["alerts"] = sum(e["severity"] == "alert" for e in events)
        metrics["warnings"] = sum(e["severity"] == "warning" for e in events)
        run.log_metrics(metrics)
        json_path = write_report(paths.reports, "monitor", events, markdown)
        run.log_artifact(json_path, "report")
        run.log_artifact(json_path.with_suffix(".md"), "report")
    return events, json_path


def summary_markdown(events: list[dict[str, Any]]) -> str:
    lines = ["# Monitoring summary", ""]
    for e in events:
        lines.append(f"## {e['event']}: {e['severity'].upper()}")
        if e["event"] == "catalog_drift" and "psi" in e:
            lines.append(
                f"- recipes {e['recipes_baseline']} -> {e['recipes_current']} (+{e['added']} / -{e['removed']})"
            )
            lines += [f"- PSI {k}: {v:.3f}" for k, v in e["psi"].items()]
            lines += [f"- TVD {k}: {v:.3f}" for k, v in e["tvd"].items()]
        elif e["event"] == "rating_distribution":
            lines.append(f"- {e['interactions']} interactions, histogram {e['histogram']}")
            mean_rating = f"{e['mean_rating']:.2f}" if e["mean_rating"] is not None else "n/a"
            lines.append(f"- unrated share {e['unrated_share']:.1%}, mean rating {mean_rating}")
        elif e["event"] == "evaluation_trend":
            lines.append(f"- {e['runs']} evaluation runs")
            for h in e["history"][-5:]:
                values = ", ".join(f"{m} {h[m]:.3f}" for m in TREND_METRICS if h.get(m) is not None)
                lines.append(f"  - {h['report']}: {values}")
            lines += [f"- {k}: {v:.3f}" for k, v in e.items() if k.endswith("_drop_from_best")]
        elif "note" in e:
            lines.append(f"- {e['note']}")
        lines.append("")
    return "\n".join(lines)
