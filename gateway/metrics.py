"""The gateway's Prometheus metrics: the predecessor's domain metrics, in base units.

``api_latency_seconds`` is labelled by the route *template* (``/v1/recipes/{recipe_id}``),
never the concrete path, so ids cannot explode the series count; unmatched paths share one
label. No label carries user text, ids or keys.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# HTTP latency: sub-millisecond cache hits up to long LLM turns.
HTTP_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
UNMATCHED_ROUTE = "<unmatched>"

API_LATENCY = Histogram(
    "api_latency_seconds",
    "Time to answer an HTTP request, until the last byte of the body (streams included).",
    ["method", "route", "status"],
    buckets=HTTP_LATENCY_BUCKETS,
)
NUM_RECIPES = Histogram(
    "num_recipes",
    "Recipes returned per response.",
    ["route"],
    buckets=(0, 1, 2, 3, 5, 10, 20, 50),
)
TRANSLATION_CACHE = Counter(
    "gateway_translation_cache_requests_total",
    "Recipe localisations by where the text came from.",
    ["source"],  # native, memory (the catalog's localized text), cache, llm, untranslated
)
RATE_LIMITED = Counter("gateway_rate_limited_requests_total", "Requests refused by the rate limiter.")
RATE_LIMIT_BACKEND_ERRORS = Counter(
    "gateway_rate_limit_backend_errors_total",
    "Shared (Redis) rate-limit checks that failed and fell back to the in-process limiter.",
)
AUTH_FAILURES = Counter("gateway_auth_failures_total", "Requests refused for a missing or wrong API key.", ["reason"])
