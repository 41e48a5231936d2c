"""The data-quality report: named checks, each pass/warn/fail, with located examples.

A *fail* makes ``ingest`` exit non-zero; a *warn* is reported and the data is repaired the
documented way (e.g. an implausible ``minutes`` becomes null). Issues carry file, row and
column so a person can open the file at the right place. Rows are counted as in a spreadsheet:
the header is row 1, the first record row 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["pass", "warn", "fail"]
MAX_EXAMPLES = 5


@dataclass
class Issue:
    file: str
    row: int | None
    column: str | None
    message: str
    value: str | None = None

    def describe(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        shown = f" (value {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.message}{shown}"


@dataclass
class Check:
    name: str
    description: str
    status: Status = "pass"
    count: int = 0
    total: int = 0
    threshold: str = ""
    examples: list[Issue] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.total if self.total else 0.0


class QualityReport:
    """Collects checks while readers and normalisers run; renders JSON and a readable summary."""

    def __init__(self) -> None:
        self.checks: dict[str, Check] = {}
        self.stats: dict[str, Any] = {}
        self.inputs: list[dict[str, Any]] = []

    def check(self, name: str, description: str, *, threshold: str = "") -> Check:
        if name not in self.checks:
            self.checks[name] = Check(name, description, threshold=threshold)
        return self.checks[name]

    def record(
        self,
        name: str,
        description: str,
        status: Status,
        issues: Iterable[Issue] = (),
        *,
        count: int | None = None,
        total: int = 0,
        threshold: str = "",
    ) -> Check:
        """Add findings to a check; the worst status wins, counts add up."""
        chk = self.check(name, description, threshold=threshold)
        found = list(issues)
        chk.count += count if count is not None else len(found)
        chk.total += total
        if chk.count or status == "fail":
            order = {"pass": 0, "warn": 1, "fail": 2}
            if order[status] > order[chk.status]:
                chk.status = status
        room = MAX_EXAMPLES - len(chk.examples)
        if room > 0:
            chk.examples.extend(found[:room])
        return chk

    def gate(self, name: str, description: str, *, rate: float, total: int, max_rate: float, examples=()) -> Check:  # type: ignore[no-untyped-def]
        """A rate check: fail above ``max_rate``, warn when anything was found below it."""
        count = round(rate * total)
        status: Status = "fail" if rate > max_rate else ("warn" if count else "pass")
        return self.record(
            name, description, status, examples, count=count, total=total, threshold=f"<= {max_rate:.1%}"
        )

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks.values() if c.status == "fail"]

    @property
    def status(self) -> Status:
        statuses = {c.status for c in self.checks.values()}
        return "fail" if "fail" in statuses else ("warn" if "warn" in statuses else "pass")

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "inputs": self.inputs,
            "stats": self.stats,
            "checks": [
                {
                    **{k: v for k, v in asdict(c).items() if k != "examples"},
                    "rate": round(c.rate, 6),
                    "examples": [asdict(e) for e in c.examples],
                }
                for c in self.checks.values()
            ],
        }

    def summary(self) -> str:
        """Markdown: one line per check, failures first, then the headline numbers."""
        lines = [f"# Data quality: {self.status.upper()}", ""]
        for key, value in self.stats.items():
            if not isinstance(value, dict | list):
                lines.append(f"- {key}: {value}")
        lines += ["", "| check | status | count | rate | threshold |", "|---|---|---|---|---|"]
        ordered = sorted(self.checks.values(), key=lambda c: {"fail": 0, "warn": 1, "pass": 2}[c.status])
        for c in ordered:
            rate = f"{c.rate:.2%}" if c.total else ""
            lines.append(f"| {c.name} | {c.status} | {c.count} | {rate} | {c.threshold} |")
        problems = [c for c in ordered if c.examples and c.status != "pass"]
        if problems:
            lines += ["", "## Examples"]
            for c in problems:
                lines.append(f"- **{c.name}** ({c.description})")
                lines += [f"  - {e.describe()}" for e in c.examples]
        return "\n".join(lines) + "\n"

    def write(self, json_path: Path) -> Path:
        """Write ``quality.json`` and ``quality.md`` beside it; returns the markdown path."""
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str))
        md = json_path.with_suffix(".md")
        md.write_text(self.summary())
        return md
