"""Run every benchmark module under bench/ in turn; ``--quick`` keeps the whole run to minutes."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes in all")
    parser.add_argument("--only", default="", help="comma-separated module names, e.g. bench_embeddings")
    parser.add_argument("--json", type=Path, help="also write all results to this file")
    args = parser.parse_args()
    wanted = {n for n in args.only.split(",") if n}
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    results: dict[str, object] = {}
    failed = False
    for name in names:
        if wanted and name not in wanted:
            continue
        print(f"\n===== {name} =====", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            results[name] = module.main(quick=args.quick)
        except Exception as exc:  # one failing benchmark must not hide the others
            failed = True
            results[name] = {"error": repr(exc)}
            print(f"{name} FAILED: {exc!r}", file=sys.stderr)
        print(f"({name} took {time.perf_counter() - started:.1f}s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
