"""Domain metrics of the llm service (the shared interceptor adds gRPC RED metrics).

Labels are bounded: backend, model, operation, outcome, kind, reason. Never user text or ids.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from services.common.telemetry import RPC_LATENCY_BUCKETS

LLM_REQUESTS = Counter(
    "llm_requests_total",
    "Backend calls by backend, model, operation and outcome (success, timeout, server_error, "
    "rate_limited, connection, rejected, invalid_output, error).",
    ["backend", "model", "operation", "outcome"],
)
LLM_TOKENS = Counter(
    "llm_tokens_total", "Tokens used, by kind (prompt, completion, cached).", ["backend", "model", "kind"]
)
LLM_COST = Counter("llm_cost_usd_total", "Cost of backend calls in USD, from the price table.", ["backend", "model"])
LLM_LATENCY = Histogram(
    "llm_backend_latency_seconds",
    "Latency of one backend call attempt.",
    ["backend", "operation"],
    buckets=RPC_LATENCY_BUCKETS,
)
CACHE_REQUESTS = Counter(
    "llm_cache_requests_total", "Response cache lookups per item, by operation and result.", ["operation", "result"]
)
CACHE_ERRORS = Counter("llm_cache_errors_total", "Response cache operations that failed (treated as misses).", ["op"])
FALLBACKS = Counter(
    "llm_fallbacks_total",
    "Calls that moved from one backend to the next, and why (a failure reason or cooldown).",
    ["from_backend", "to_backend", "operation", "reason"],
)
COOLDOWNS = Counter("llm_cooldowns_total", "Times a backend was put in cooldown.", ["backend"])
COOLING_DOWN = Gauge("llm_backend_cooling_down", "1 while a backend is in cooldown.", ["backend"])
TRANSLATED_ITEMS = Counter(
    "llm_translated_items_total", "Translated texts by source (memory, cache, backend).", ["source"]
)
STORE_OPERATIONS = Counter(
    "llm_conversation_store_operations_total", "Conversation store operations by outcome.", ["operation", "outcome"]
)
CHAT_TURNS = Counter("llm_chat_turns_total", "Committed chat turns by intent and backend.", ["intent", "backend"])
