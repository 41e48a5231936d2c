"""Report files: ``<kind>-<UTC timestamp>.json`` + ``.md`` under ``artifacts/reports``, plus a
``<kind>-latest`` copy so scripts and the README can point at a stable name."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any


def write_report(directory: Path, kind: str, data: Any, markdown: str) -> Path:
    """Write the JSON and markdown; returns the JSON path."""
    directory.mkdir(parents=True, exist_ok=True)
    now = time.time()
    # microseconds keep names unique and in time order when sorted as text
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now * 1e6) % 1_000_000:06d}Z"
    json_path = directory / f"{kind}-{stamp}.json"
    n = 1
    while json_path.exists():  # two reports in one second
        json_path = directory / f"{kind}-{stamp}-{n}.json"
        n += 1
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    json_path.with_suffix(".md").write_text(markdown)
    shutil.copyfile(json_path, directory / f"{kind}-latest.json")
    shutil.copyfile(json_path.with_suffix(".md"), directory / f"{kind}-latest.md")
    return json_path


def report_history(directory: Path, kind: str) -> list[Path]:
    """Timestamped reports of one kind, oldest first (the -latest copies excluded)."""
    return sorted(p for p in directory.glob(f"{kind}-2*.json"))
