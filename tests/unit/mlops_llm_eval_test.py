"""evaluate-llm against an in-process fake llm service over real gRPC, and when it is down."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from mlops.config import LLM_GOLDEN
from mlops.datasets import read_jsonl
from mlops.evaluate_llm import SERVICE, Golden, LlmUnreachable, run_goldens, summarize
from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2, llm_pb2_grpc
from tests.support.ports import free_port


class FakeLlm(llm_pb2_grpc.LlmServiceServicer):
    """Canned answers; Translate deliberately drops an item to exercise the contract check."""

    async def DetectLanguage(self, request: Any, context: Any) -> Any:
        lang = common_pb2.LANGUAGE_ES if "receta" in request.text else common_pb2.LANGUAGE_EN
        return llm_pb2.DetectLanguageResponse(language=lang, confidence=0.9, reliable=True)

    async def Translate(self, request: Any, context: Any) -> Any:
        return llm_pb2.TranslateResponse(texts=["chicken soup"], backend="fake")

    async def AnswerQuestion(self, request: Any, context: Any) -> Any:
        return llm_pb2.AnswerQuestionResponse(
            answer="It takes about 180 minutes.",
            recipe_id=request.recipe_id,
            language=common_pb2.LANGUAGE_EN,
            backend="fake",
        )

    async def AnalyzeMeal(self, request: Any, context: Any) -> Any:
        return llm_pb2.AnalyzeMealResponse(
            nutrition=common_pb2.Nutrition(calories_kcal=520.0, protein_g=30), assessment="balanced", backend="fake"
        )

    async def Chat(self, request: Any, context: Any) -> AsyncIterator[Any]:
        yield llm_pb2.ChatResponse(conversation_id="c1", delta="Try ")
        yield llm_pb2.ChatResponse(
            conversation_id="c1",
            delta="the lentil stew.",
            done=True,
            recipes=[common_pb2.Recipe(id=1, name="lentil stew")],
        )


@pytest.fixture
async def fake_llm() -> AsyncIterator[str]:
    server = grpc.aio.server()
    llm_pb2_grpc.add_LlmServiceServicer_to_server(FakeLlm(), server)
    health_servicer = health.aio.HealthServicer()
    await health_servicer.set(SERVICE, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    address = f"127.0.0.1:{free_port()}"
    server.add_insecure_port(address)
    await server.start()
    yield address
    await server.stop(None)


def _goldens(*lines: dict[str, Any]) -> list[Golden]:
    return [Golden.model_validate(line) for line in lines]


async def test_goldens_are_scored_for_validity_expectations_and_latency(fake_llm: str) -> None:
    goldens = _goldens(
        {"id": "d", "rpc": "DetectLanguage", "request": {"text": "una receta"}, "expect": {"language": "LANGUAGE_ES"}},
        {"id": "t", "rpc": "Translate", "request": {"target_language": "LANGUAGE_EN", "texts": ["sopa", "pollo"]}},
        {
            "id": "q",
            "rpc": "AnswerQuestion",
            "request": {"recipe_id": 7, "question": "how long?"},
            "expect": {"contains_any": ["180"]},
        },
        {"id": "m", "rpc": "AnalyzeMeal", "request": {"text": "rice"}, "expect": {"max_calories": 400}},
        {"id": "c", "rpc": "Chat", "request": {"message": "hi"}, "expect": {"min_recipes": 1, "min_chars": 5}},
    )
    outcomes = {o.id: o for o in await run_goldens(fake_llm, goldens)}
    assert outcomes["d"].passed and outcomes["q"].passed and outcomes["c"].passed
    assert not outcomes["t"].valid and "count differs" in outcomes["t"].problems[0]
    assert outcomes["m"].valid and not outcomes["m"].passed and "calories 520 > 400" in outcomes["m"].problems[0]
    assert outcomes["c"].chars == len("Try the lentil stew.")
    summary = summarize(list(outcomes.values()))
    assert summary["json_valid_rate"] == pytest.approx(4 / 5)
    assert summary["expectation_pass_rate"] == pytest.approx(3 / 5)
    assert summary["latency_p95_ms"] > 0 and set(summary["by_rpc"]) == {
        "DetectLanguage",
        "Translate",
        "AnswerQuestion",
        "AnalyzeMeal",
        "Chat",
    }


async def test_unreachable_service_fails_with_a_clear_message() -> None:
    address = f"127.0.0.1:{free_port()}"
    with pytest.raises(LlmUnreachable, match=rf"unreachable at {address}.*python -m services.llm"):
        await run_goldens(address, _goldens({"id": "d", "rpc": "DetectLanguage", "request": {"text": "x"}}))


def test_cli_exit_code_when_unreachable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlops.cli import main

    code = main(["--artifacts", str(tmp_path), "evaluate-llm", "--addr", f"127.0.0.1:{free_port()}"])
    assert code == 1
    assert "llm service unreachable" in capsys.readouterr().err


def test_shipped_goldens_parse_and_cover_every_rpc() -> None:
    goldens: list[Golden] = read_jsonl(LLM_GOLDEN, Golden)
    assert len(goldens) >= 20
    assert {g.rpc for g in goldens} == {"DetectLanguage", "Translate", "AnswerQuestion", "AnalyzeMeal", "Chat"}
    assert len({g.id for g in goldens}) == len(goldens)
    for g in goldens:  # every request is valid proto JSON for its RPC
        from google.protobuf import json_format

        from mlops.evaluate_llm import REQUESTS

        json_format.ParseDict(json.loads(json.dumps(g.request)), REQUESTS[g.rpc]())
