"""Argument parsing for ``python -m mlops``; each command's logic lives in its own module.

Exit codes: 0 success (for ``retrain`` also "no change"), 1 a check failed (data quality,
evaluation gates, unreachable service), 2 bad usage or input, 3 ``retrain`` kept the champion
because the challenger regressed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from mlops.config import EVAL_QUERIES, LLM_GOLDEN, MlopsSettings, load_mlops_settings

Handler = Callable[[argparse.Namespace, MlopsSettings], int]
USAGE_ERRORS = (FileNotFoundError, ValueError)


def _ingest(args: argparse.Namespace, settings: MlopsSettings) -> int:
    from mlops.ingest.command import ingest

    result = ingest(settings, args.inputs, out_dir=args.out, source=args.source)
    print(result.summary_path.read_text())
    print(f"catalog: {result.catalog_path}\ninteractions: {result.interactions_path}\nreport: {result.report_path}")
    if not result.ok:
        for check in result.report.failed:
            where = check.examples[0].describe() if check.examples else check.description
            print(f"ingest FAILED: {check.name}: {where}", file=sys.stderr)
        return 1
    return 0


def _default_catalog(settings: MlopsSettings) -> Path:
    """The ingested catalog; from a clean clone, ingest the bundled catalog first."""
    if settings.paths.catalog.exists():
        return settings.paths.catalog
    from mlops.ingest.command import ingest

    print(f"{settings.paths.catalog} does not exist yet: ingesting the bundled catalog first", file=sys.stderr)
    result = ingest(settings, [])
    if not result.ok:
        raise ValueError(f"the bundled catalog fails its data-quality checks; see {result.summary_path}")
    return result.catalog_path


def _build(args: argparse.Namespace, settings: MlopsSettings) -> int:
    if args.if_missing:
        from services.recommender.bundle import latest_local_bundle

        existing = latest_local_bundle(settings.paths.bundles)
        if existing is not None:
            print(f"bundle present: {existing} (build skipped: --if-missing)")
            return 0
    from mlops.build import build

    catalog = args.catalog or _default_catalog(settings)
    result = build(settings, catalog, force=args.force, index_backend=args.index, show_progress=not args.no_progress)
    print(
        json.dumps(
            {
                "bundle": str(result.bundle_dir),
                "reused": result.reused,
                "content_hash": result.manifest.get("content_hash"),
                **{k: round(v, 3) for k, v in result.stats.items()},
            },
            indent=2,
        )
    )
    return 0


def _bundle_arg(value: str | None, settings: MlopsSettings) -> Path:
    from services.recommender.bundle import latest_local_bundle, resolve_bundle_uri

    if value:
        return resolve_bundle_uri(value)
    latest = latest_local_bundle(settings.paths.bundles)
    if latest is None:
        raise FileNotFoundError(f"no bundle under {settings.paths.bundles}; run `python -m mlops build` first")
    return latest


def _evaluate(args: argparse.Namespace, settings: MlopsSettings) -> int:
    from mlops.evaluate import evaluate

    bundle = _bundle_arg(args.bundle, settings)
    result, path = evaluate(
        settings, bundle, args.queries, quality_report=args.quality or settings.paths.quality_report
    )
    print(path.with_suffix(".md").read_text())
    print(f"report: {path}")
    return 0 if result["passed"] else 1


def _evaluate_embeddings(args: argparse.Namespace, settings: MlopsSettings) -> int:
    from mlops.evaluate_embeddings import evaluate_embeddings

    _, path = evaluate_embeddings(settings, args.catalog or _default_catalog(settings))
    print(path.with_suffix(".md").read_text())
    print(f"report: {path}")
    return 0


def _evaluate_llm(args: argparse.Namespace, settings: MlopsSettings) -> int:
    from mlops.evaluate_llm import LlmUnreachable, evaluate_llm

    if args.addr:
        settings = settings.model_copy(update={"llm_addr": args.addr})
    try:
        _, path = evaluate_llm(settings, args.goldens, timeout=args.timeout)
    except LlmUnreachable as exc:
        print(f"evaluate-llm: {exc}", file=sys.stderr)
        return 1
    print(path.with_suffix(".md").read_text())
    print(f"report: {path}")
    return 0


def _version(args: argparse.Namespace, settings: MlopsSettings) -> int:
    from mlops.versioning import register_bundle

    bundle = _bundle_arg(args.bundle, settings)
    evaluation = json.loads(args.report.read_text()) if args.report else None
    version = register_bundle(settings, bundle, aliases=args.alias or [], evaluation=evaluation)
    print(
        f"registered {settings.registered_model_name} version {version.version} "
        f"(aliases: {', '.join(version.aliases) or 'none'})\nsource: {version.source}"
    )
    return 0


def _retrain(args: argparse.Namespace, settings: MlopsSettings) -> int:
    from mlops.retrain import retrain

    decision, path = retrain(
        settings,
        args.inputs,
        queries=args.queries,
        tolerance=args.tolerance,
        latency_factor=args.latency_factor,
        force_build=args.force_build,
        show_progress=not args.no_progress,
    )
    print(path.with_suffix(".md").read_text())
    print(f"report: {path}")
    return decision.exit_code


def _monitor(args: argparse.Namespace, settings: MlopsSettings) -> int:
    from mlops.monitor import monitor

    events, path = monitor(settings, baseline=args.baseline, current=args.current)
    print(path.with_suffix(".md").read_text())
    print(f"events appended to {settings.paths.monitor / 'events.jsonl'}")
    return 1 if args.fail_on_alert and any(e["severity"] == "alert" for e in events) else 0


def _cleanup(args: argparse.Namespace, settings: MlopsSettings) -> int:
    from mlops.cleanup import cleanup
    from mlops.tracking import Tracker

    with Tracker(settings, "cleanup") as run:
        run.log_params({"keep": args.keep, "dry_run": args.dry_run})
        plan = cleanup(settings, args.keep, dry_run=args.dry_run)
        run.log_metrics(
            {
                "bundles_deleted": len(plan.bundles),
                "runs_deleted": len(plan.runs),
                "local_runs_deleted": len(plan.local_runs),
                "report_files_deleted": len(plan.reports),
            }
        )
    verb = "would delete" if args.dry_run else "deleted"
    for line in plan.lines():
        print(f"{verb}: {line}")
    for kept in plan.kept_for_alias:
        print(f"kept (alias): {kept}")
    print(
        f"{verb} {len(plan.bundles)} bundles, {len(plan.runs)} MLflow runs, {len(plan.local_runs)} local runs, "
        f"{len(plan.reports)} report files"
    )
    return 0


def _synth(args: argparse.Namespace, settings: MlopsSettings) -> int:
    import time

    from mlops.synth import synthesize
    from mlops.tracking import Tracker

    with Tracker(settings, "synth") as run:
        run.log_params({"n": args.n, "out": str(args.out), "seed": args.seed, "format": args.format})
        started = time.perf_counter()
        result = synthesize(args.n, args.out, seed=args.seed, fmt=args.format)
        run.log_metrics(
            {"recipes": result.recipes, "interactions": result.interactions, "seconds": time.perf_counter() - started}
        )
    print(
        f"{result.recipes} recipes, {result.interactions} interactions in {time.perf_counter() - started:.1f}s: "
        + ", ".join(map(str, result.paths))
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mlops",
        description="Offline pipeline: ingest, build, evaluate, version and retrain the recipe recommender. "
        "Artifacts go under $ARTIFACTS_DIR (default ./artifacts); runs are logged to $MLFLOW_TRACKING_URI "
        "(default SQLite in the artifacts dir).",
    )
    parser.add_argument("--artifacts", type=Path, help="artifacts root (default $ARTIFACTS_DIR or ./artifacts)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    p = sub.add_parser("ingest", help="read Food.com CSVs / schema.org JSON, write the catalog and a quality report")
    p.add_argument(
        "inputs",
        nargs="*",
        type=Path,
        help="RAW_recipes.csv, RAW_interactions.csv, schema.org .json/.jsonld/.html files or folders "
        "(default: the bundled catalog in data/catalog)",
    )
    p.add_argument("--out", type=Path, help="output folder (default artifacts/catalog)")
    p.add_argument("--source", help="source label stored per recipe (default food.com; bundled for data/catalog)")
    p.set_defaults(handler=_ingest)

    p = sub.add_parser("build", help="embed (with cache), index and write a bundle under artifacts/bundles")
    p.add_argument(
        "--catalog",
        type=Path,
        help="catalog parquet (default artifacts/catalog/catalog.parquet, "
        "ingesting the bundled catalog first if it is missing)",
    )
    p.add_argument("--if-missing", action="store_true", help="do nothing when a bundle already exists")
    p.add_argument("--force", action="store_true", help="write a new bundle even if an identical one exists")
    p.add_argument("--index", default="usearch", choices=["usearch", "exact"], help="ANN index to build")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(handler=_build)

    p = sub.add_parser("evaluate", help="nDCG@10, recall@10, MRR, es/en overlap, latency, gates; vs plain semantic")
    p.add_argument("--bundle", help="bundle path or models:/recipe-recommender@alias (default newest local)")
    p.add_argument("--queries", type=Path, default=EVAL_QUERIES, help=f"labelled queries (default {EVAL_QUERIES})")
    p.add_argument(
        "--quality", type=Path, help="data-quality report to gate on (default artifacts/catalog/quality.json)"
    )
    p.set_defaults(handler=_evaluate)

    p = sub.add_parser("evaluate-embeddings", help="cross-lingual retrieval and paraphrase-vs-random cosine gap")
    p.add_argument("--catalog", type=Path, help="catalog with Spanish localized names (default artifacts/catalog)")
    p.set_defaults(handler=_evaluate_embeddings)

    p = sub.add_parser("evaluate-llm", help="golden prompts through the llm service over gRPC ($LLM_ADDR)")
    p.add_argument("--goldens", type=Path, default=LLM_GOLDEN, help=f"golden prompts (default {LLM_GOLDEN})")
    p.add_argument("--addr", help="llm service address (default $LLM_ADDR or localhost:50053)")
    p.add_argument("--timeout", type=float, default=30.0, help="deadline per call, seconds")
    p.set_defaults(handler=_evaluate_llm)

    p = sub.add_parser("version", help="register a bundle as a model version and set aliases")
    p.add_argument("--bundle", help="bundle path (default newest local)")
    p.add_argument("--alias", action="append", help="alias to point at the new version (repeatable), e.g. champion")
    p.add_argument(
        "--report", type=Path, help="evaluation report whose metrics to attach (default: newest of this bundle)"
    )
    p.set_defaults(handler=_version)

    p = sub.add_parser("retrain", help="ingest, build, evaluate, compare with champion, promote if no regression")
    p.add_argument("inputs", nargs="*", type=Path, help="ingest inputs (default the bundled catalog)")
    p.add_argument("--queries", type=Path, default=EVAL_QUERIES)
    p.add_argument("--tolerance", type=float, default=0.01, help="allowed absolute drop of a quality metric")
    p.add_argument("--latency-factor", type=float, default=2.0, help="allowed p95 latency growth factor")
    p.add_argument("--force-build", action="store_true", help="rebuild even when the inputs did not change")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(handler=_retrain)

    p = sub.add_parser("monitor", help="data drift, rating distribution and evaluation trend events + summary")
    p.add_argument("--baseline", type=Path, help="baseline catalog parquet (default: previous bundle's)")
    p.add_argument("--current", type=Path, help="current catalog parquet (default: newest bundle's)")
    p.add_argument("--fail-on-alert", action="store_true", help="exit 1 when an event is an alert")
    p.set_defaults(handler=_monitor)

    p = sub.add_parser("cleanup", help="keep the newest K bundles, runs and reports (aliased versions are kept)")
    p.add_argument("--keep", type=int, default=3)
    p.add_argument("--dry-run", action="store_true")
    p.set_defaults(handler=_cleanup)

    p = sub.add_parser("synth", help="synthetic catalog + ratings of any size (benchmarks only)")
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--format",
        choices=["csv", "parquet"],
        default="csv",
        help="csv: Food.com RAW_recipes/RAW_interactions; parquet: the normalised catalog directly",
    )
    p.set_defaults(handler=_synth)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("alembic", "mlflow", "urllib3", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    overrides = {"artifacts_dir": args.artifacts} if args.artifacts else {}
    settings = load_mlops_settings(**overrides)
    handler: Handler = args.handler
    try:
        return handler(args, settings)
    except USAGE_ERRORS as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2
