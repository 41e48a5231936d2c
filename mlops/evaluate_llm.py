"""``mlops evaluate-llm``: golden prompts through the llm service, over gRPC only.

Each line of ``data/eval/llm_golden.jsonl`` names an RPC of ``recipes.llm.v1.LlmService``, its
request (proto JSON) and expectations. Every response is converted to JSON and validated against
the RPC's output contract (the *JSON validity rate*: counts match the request, required text is
non-empty, numbers are in range, the stream ends with ``done``), then checked against the line's
expectations (language, keywords, calorie range, grounded recipes). Response length and latency
are reported per RPC. An unreachable service fails fast with the address and how to start it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import grpc
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic import BaseModel

from mlops.config import MlopsSettings
from mlops.datasets import read_jsonl
from mlops.metrics import mean, percentile
from mlops.reports import write_report
from mlops.tracking import Tracker
from recipes.llm.v1 import llm_pb2, llm_pb2_grpc
from services.common.clients import create_channel

SERVICE = "recipes.llm.v1.LlmService"
RpcName = Literal["DetectLanguage", "Translate", "AnswerQuestion", "AnalyzeMeal", "Chat"]
REQUESTS: dict[str, type[Any]] = {
    "DetectLanguage": llm_pb2.DetectLanguageRequest,
    "Translate": llm_pb2.TranslateRequest,
    "AnswerQuestion": llm_pb2.AnswerQuestionRequest,
    "AnalyzeMeal": llm_pb2.AnalyzeMealRequest,
    "Chat": llm_pb2.ChatRequest,
}


class Expectation(BaseModel):
    language: str | None = None
    contains_any: list[str] = []
    min_chars: int = 0
    min_calories: float | None = None
    max_calories: float | None = None
    min_recipes: int = 0


class Golden(BaseModel):
    id: str
    rpc: RpcName
    request: dict[str, Any]
    expect: Expectation = Expectation()


class LlmUnreachable(RuntimeError):
    pass


@dataclass
class Outcome:
    id: str
    rpc: str
    latency_ms: float
    valid: bool = False
    passed: bool = False
    chars: int = 0
    problems: list[str] = field(default_factory=list)
    error: str = ""
    backend: str = ""


def _text_of(rpc: str, data: dict[str, Any]) -> str:
    """The human-facing text of a response (what a length or keyword check looks at)."""
    if rpc == "Translate":
        parts = list(data.get("texts", []))
        for recipe in data.get("recipes", []):
            parts += [
                recipe.get("name", ""),
                recipe.get("description", ""),
                *recipe.get("ingredients", []),
                *recipe.get("steps", []),
            ]
        return "\n".join(parts)
    if rpc == "AnswerQuestion":
        return str(data.get("answer", ""))
    if rpc == "AnalyzeMeal":
        return "\n".join([str(data.get("assessment", "")), *data.get("suggestions", [])])
    if rpc == "Chat":
        return str(data.get("reply", ""))
    return str(data.get("language", ""))


def validate_contract(golden: Golden, data: dict[str, Any]) -> list[str]:
    """Problems with the structured output, independent of the golden's expectations."""
    req = golden.request
    problems: list[str] = []
    if golden.rpc == "DetectLanguage":
        if data.get("language", "LANGUAGE_UNSPECIFIED") == "LANGUAGE_UNSPECIFIED":
            problems.append("language is unspecified")
        if not 0.0 <= float(data.get("confidence", 0.0)) <= 1.0:
            problems.append("confidence outside 0..1")
    elif golden.rpc == "Translate":
        if len(data.get("texts", [])) != len(req.get("texts", [])):
            problems.append("texts: count differs from the request")
        if len(data.get("recipes", [])) != len(req.get("recipes", [])):
            problems.append("recipes: count differs from the request")
        if any(not str(t).strip() for t in data.get("texts", [])):
            problems.append("texts: an item is empty")
        for recipe in data.get("recipes", []):
            if not recipe.get("name") or recipe.get("language") != req.get("target_language"):
                problems.append("recipes: missing name or wrong language")
    elif golden.rpc == "AnswerQuestion":
        if not str(data.get("answer", "")).strip():
            problems.append("answer is empty")
        if int(data.get("recipe_id", 0)) != int(req.get("recipe_id", 0)):
            problems.append("recipe_id does not echo the request")
    elif golden.rpc == "AnalyzeMeal":
        nutrition = data.get("nutrition", {})
        if any(float(v) < 0 for v in nutrition.values()):
            problems.append("nutrition has a negative value")
        if any(float(v) < 0 for v in data.get("daily_value_pct", {}).values()):
            problems.append("daily_value_pct has a negative value")
        if not str(data.get("assessment", "")).strip():
            problems.append("assessment is empty")
    elif golden.rpc == "Chat":
        if not data.get("done"):
            problems.append("stream did not end with done=true")
        if not data.get("conversation_id"):
            problems.append("no conversation_id")
        if not str(data.get("reply", "")).strip():
            problems.append("reply is empty")
    return problems


def check_expectations(golden: Golden, data: dict[str, Any], text: str) -> list[str]:
    exp = golden.expect
    problems = []
    if exp.language and data.get("language") != exp.language:
        problems.append(f"language {data.get('language')} != {exp.language}")
    lowered = text.lower()
    if exp.contains_any and not any(word.lower() in lowered for word in exp.contains_any):
        problems.append(f"none of {exp.contains_any} in the response")
    if len(text) < exp.min_chars:
        problems.append(f"response has {len(text)} chars < {exp.min_chars}")
    calories = float(data.get("nutrition", {}).get("calories_kcal", 0.0))
    if exp.min_calories is not None and calories < exp.min_calories:
        problems.append(f"calories {calories:.0f} < {exp.min_calories}")
    if exp.max_calories is not None and calories > exp.max_calories:
        problems.append(f"calories {calories:.0f} > {exp.max_calories}")
    if len(data.get("recipes", [])) < exp.min_recipes and golden.rpc == "Chat":
        problems.append(f"{len(data.get('recipes', []))} grounded recipes < {exp.min_recipes}")
    return problems


def _to_dict(message: Any) -> dict[str, Any]:
    text = json_format.MessageToJson(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    data: dict[str, Any] = json.loads(text)  # the round trip is the JSON validity check itself
    return data


async def _call(stub: llm_pb2_grpc.LlmServiceStub, golden: Golden, timeout: float) -> dict[str, Any]:
    request = json_format.ParseDict(golden.request, REQUESTS[golden.rpc]())
    if golden.rpc != "Chat":
        method: Callable[..., Any] = getattr(stub, golden.rpc)
        return _to_dict(await method(request, timeout=timeout))
    chunks = [_to_dict(chunk) async for chunk in stub.Chat(request, timeout=timeout)]
    if not chunks:
        return {}
    last = dict(chunks[-1])
    last["reply"] = "".join(c.get("delta", "") for c in chunks)
    return last


async def check_reachable(channel: grpc.aio.Channel, address: str, timeout: float = 5.0) -> None:
    try:
        response = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=SERVICE), timeout=timeout
        )
    except grpc.RpcError as exc:
        raise LlmUnreachable(
            f"llm service unreachable at {address} ({exc.code().name}: {exc.details()}). "
            "Start it with `python -m services.llm` (or `make run`) or set LLM_ADDR."
        ) from None
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        raise LlmUnreachable(f"llm service at {address} is not SERVING yet (health {response.status})")


async def run_goldens(address: str, goldens: list[Golden], timeout: float = 30.0) -> list[Outcome]:
    channel = create_channel(address, SERVICE)
    try:
        await check_reachable(channel, address)
        stub = llm_pb2_grpc.LlmServiceStub(channel)
        outcomes = []
        for golden in goldens:
            started = time.perf_counter()
            try:
                data = await _call(stub, golden, timeout)
                outcome = Outcome(golden.id, golden.rpc, (time.perf_counter() - started) * 1000)
            except grpc.RpcError as exc:
                outcomes.append(
                    Outcome(
                        golden.id,
                        golden.rpc,
                        (time.perf_counter() - started) * 1000,
                        error=f"{exc.code().name}: {exc.details()}",
                    )
                )
                continue
            text = _text_of(golden.rpc, data)
            contract = validate_contract(golden, data)
            expectations = check_expectations(golden, data, text)
            outcome.valid = not contract
            outcome.passed = not contract and not expectations
            outcome.chars = len(text)
            outcome.problems = contract + expectations
            outcome.backend = str(data.get("backend", ""))
            outcomes.append(outcome)
        return outcomes
    finally:
        await channel.close()


def summarize(outcomes: list[Outcome]) -> dict[str, Any]:
    n = len(outcomes)
    latencies = [o.latency_ms for o in outcomes]
    by_rpc: dict[str, dict[str, float]] = {}
    for rpc in sorted({o.rpc for o in outcomes}):
        group = [o for o in outcomes if o.rpc == rpc]
        by_rpc[rpc] = {
            "count": len(group),
            "valid_rate": sum(o.valid for o in group) / len(group),
            "pass_rate": sum(o.passed for o in group) / len(group),
            "latency_p50_ms": percentile([o.latency_ms for o in group], 50),
            "latency_p95_ms": percentile([o.latency_ms for o in group], 95),
            "chars_mean": mean([float(o.chars) for o in group]),
        }
    return {
        "prompts": n,
        "json_valid_rate": sum(o.valid for o in outcomes) / n if n else 0.0,
        "expectation_pass_rate": sum(o.passed for o in outcomes) / n if n else 0.0,
        "error_rate": sum(bool(o.error) for o in outcomes) / n if n else 0.0,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "response_chars_mean": mean([float(o.chars) for o in outcomes]),
        "response_chars_max": max((o.chars for o in outcomes), default=0),
        "by_rpc": by_rpc,
    }


def _markdown(address: str, summary: dict[str, Any], outcomes: list[Outcome]) -> str:
    lines = [
        f"# LLM golden evaluation ({address})",
        "",
        f"- prompts: {summary['prompts']}",
        f"- JSON validity rate: {summary['json_valid_rate']:.1%}",
        f"- expectation pass rate: {summary['expectation_pass_rate']:.1%}",
        f"- errors: {summary['error_rate']:.1%}",
        f"- latency p50 / p95: {summary['latency_p50_ms']:.1f} / {summary['latency_p95_ms']:.1f} ms",
        f"- response length mean / max: {summary['response_chars_mean']:.0f} / {summary['response_chars_max']} chars",
        "",
        "| rpc | n | valid | pass | p50 ms | p95 ms | chars |",
        "|---|---|---|---|---|---|---|",
    ]
    for rpc, s in summary["by_rpc"].items():
        lines.append(
            f"| {rpc} | {s['count']} | {s['valid_rate']:.0%} | {s['pass_rate']:.0%} | "
            f"{s['latency_p50_ms']:.1f} | {s['latency_p95_ms']:.1f} | {s['chars_mean']:.0f} |"
        )
    failing = [o for o in outcomes if not o.passed]
    if failing:
        lines += ["", "## Not passing"]
        lines += [f"- {o.id} ({o.rpc}): {o.error or '; '.join(o.problems)}" for o in failing]
    return "\n".join(lines) + "\n"


def evaluate_llm(settings: MlopsSettings, golden_path: Path, *, timeout: float = 30.0) -> tuple[dict[str, Any], Path]:
    goldens: list[Golden] = read_jsonl(golden_path, Golden)
    with Tracker(settings, "evaluate-llm") as run:
        run.log_params({"llm_addr": settings.llm_addr, "goldens": str(golden_path), "prompts": len(goldens)})
        outcomes = asyncio.run(run_goldens(settings.llm_addr, goldens, timeout))
        summary = summarize(outcomes)
        run.log_metrics({k: v for k, v in summary.items() if not isinstance(v, dict)})
        backends = sorted({o.backend for o in outcomes if o.backend})
        run.set_tags({"llm_backends": ",".join(backends)})
        data = {
            **summary,
            "llm_addr": settings.llm_addr,
            "backends": backends,
            "outcomes": [o.__dict__ for o in outcomes],
        }
        json_path = write_report(
            settings.paths.reports, "evaluate-llm", data, _markdown(settings.llm_addr, summary, outcomes)
        )
        run.log_artifact(json_path, "report")
        run.log_artifact(json_path.with_suffix(".md"), "report")
    return data, json_path
