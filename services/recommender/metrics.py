"""Domain metrics of the recommender (RED metrics per RPC come from the shared interceptor).

Names follow Prometheus conventions; labels never carry queries or ids.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info

from services.common.telemetry import DEGRADED_RESPONSES, RPC_LATENCY_BUCKETS

SERVICE = "recommender"

RECOMMEND_SECONDS = Histogram(
    "recommender_recommend_seconds",
    "Time to answer a Recommend call inside the engine (embed, retrieve, filter, rank).",
    ["mode"],  # semantic | degraded | pantry
    buckets=RPC_LATENCY_BUCKETS,
)
STAGE_SECONDS = Histogram(
    "recommender_stage_seconds",
    "Time spent in each stage of a ranking call.",
    ["stage"],  # embed | retrieve | filter | rank
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)
RESULTS_RETURNED = Histogram(
    "recommender_num_recipes",
    "Recipes returned per Recommend call (the predecessor's num_recipes).",
    buckets=(0, 1, 2, 3, 5, 10, 20, 50),
)
RELOADS = Counter(
    "recommender_bundle_reloads_total",
    "Bundle reload attempts, by result (loaded, unchanged, refused).",
    ["result", "trigger"],  # trigger: startup | rpc | signal | poll
)
MODEL_INFO = Info("recommender_model", "The model bundle being served.")
QUERY_CACHE = Counter(
    "recommender_query_embedding_cache_total", "Query-embedding cache lookups, by result (hit, miss).", ["result"]
)
BUNDLE_RECIPES = Gauge("recommender_bundle_recipes", "Recipes in the bundle being served.")
BUNDLE_LOADED_TIMESTAMP = Gauge(
    "recommender_bundle_loaded_timestamp_seconds", "Unix time the serving bundle was loaded."
)


def degraded(reason: str) -> None:
    """Count one response served without the semantic signal."""
    DEGRADED_RESPONSES.labels(SERVICE, reason).inc()
