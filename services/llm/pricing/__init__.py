"""Token prices from a versioned table (``prices_v1.json``), and the cost of one call.

Prices are per million tokens. A model matches its exact name or the longest name it starts
with ("gpt-4o-mini-2024-07-18" costs what "gpt-4o-mini" costs; "llama3.1:8b" what "llama"
costs). An unknown model costs 0 and is logged once, so a new model never breaks a call.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_PRICE_TABLE = Path(__file__).resolve().parent / "prices_v1.json"


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cached_input: float | None = None


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0


class PriceTable:
    def __init__(self, path: str | Path = "") -> None:
        source = Path(path) if path else DEFAULT_PRICE_TABLE
        raw = json.loads(source.read_text(encoding="utf-8"))
        self.version: str = raw["version"]
        self.source: str = raw.get("source", "")
        self.prices: dict[str, Price] = {
            name.lower(): Price(float(p["input"]), float(p["output"]), p.get("cached_input"))
            for name, p in raw["models"].items()
        }
        self._warned: set[str] = set()

    def price(self, model: str) -> Price | None:
        name = model.lower().rsplit("/", 1)[-1]
        if name in self.prices:
            return self.prices[name]
        matches = [k for k in self.prices if name.startswith(k)]
        return self.prices[max(matches, key=len)] if matches else None

    def cost(self, model: str, usage: Usage) -> float:
        """USD for one call's usage; cached prompt tokens at the cached price when listed."""
        price = self.price(model)
        if price is None:
            if model not in self._warned:
                self._warned.add(model)
                log.warning("no price for model %s in price table %s; counting cost as 0", model, self.version)
            return 0.0
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        cached_price = price.cached_input if price.cached_input is not None else price.input
        return (
            (usage.prompt_tokens - cached) * price.input
            + cached * cached_price
            + usage.completion_tokens * price.output
        ) / 1_000_000
