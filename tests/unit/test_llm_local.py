"""The llm service offline (LLM_BACKEND=local), in-process on grpc.aio: every RPC, end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from recipes.llm.v1 import llm_pb2, llm_pb2_grpc
from services.llm.service import LlmService
from services.llm.store import create_store
from tests.unit.llm_support import (
    CHICKPEA_CURRY,
    EN,
    ES,
    PLAIN,
    TORTILLA,
    FakeRecommender,
    fake_recommender,
    llm_settings,
    served_llm,
)


@pytest.fixture
async def llm(tmp_path: Path) -> AsyncIterator[tuple[llm_pb2_grpc.LlmServiceStub, LlmService, FakeRecommender]]:
    async with (
        fake_recommender() as (address, recommender),
        served_llm(llm_settings(tmp_path, address)) as (
            stub,
            service,
        ),
    ):
        yield stub, service, recommender


async def chat(
    stub: llm_pb2_grpc.LlmServiceStub, message: str, conversation_id: str = ""
) -> list[llm_pb2.ChatResponse]:
    return [c async for c in stub.Chat(llm_pb2.ChatRequest(conversation_id=conversation_id, message=message))]


async def test_detect_language_defaults_when_unsure(llm) -> None:
    stub, _, _ = llm
    sentence = await stub.DetectLanguage(llm_pb2.DetectLanguageRequest(text="ensalada de pollo y palta"))
    assert (sentence.language, sentence.reliable) == (ES, True)
    english = await stub.DetectLanguage(llm_pb2.DetectLanguageRequest(text="healthy breakfast"))
    assert (english.language, english.reliable) == (EN, True)
    # "pasta" is both languages: not reliable, so the caller's default wins.
    pasta = await stub.DetectLanguage(llm_pb2.DetectLanguageRequest(text="pasta", default_language=EN))
    assert (pasta.language, pasta.reliable) == (EN, False)
    assert {c.language for c in pasta.candidates} == {ES, EN}
    # A single word only one language has is settled by the lexicon, not by lingua's guess.
    assert (await stub.DetectLanguage(llm_pb2.DetectLanguageRequest(text="palta"))).language == ES
    assert (await stub.DetectLanguage(llm_pb2.DetectLanguageRequest(text="hello"))).language == EN


async def test_translate_uses_the_catalogs_own_spanish_then_the_glossary(llm) -> None:
    stub, _, _ = llm
    response = await stub.Translate(
        llm_pb2.TranslateRequest(target_language=ES, texts=["2 cups of rice", "", "sal"], recipes=[TORTILLA, PLAIN[0]])
    )
    assert list(response.texts) == ["2 tazas de arroz", "", "sal"]
    memory, glossary = response.recipes
    assert memory.name == "Tortilla de patatas"  # verbatim from the translation memory
    assert list(memory.steps) == list(TORTILLA.localized[0].steps)
    assert glossary.name == "sopa de tomate"  # word order fixed for noun compounds
    assert len(glossary.ingredients) == len(PLAIN[0].ingredients)  # list shapes kept
    assert glossary.ingredients[2] == "2 tazas agua"
    assert {r.language for r in response.recipes} == {ES}
    assert any(t.language == EN and t.name == "tomato soup" for t in glossary.localized)  # original kept
    assert response.backend == "local" and not response.degraded


async def test_translate_to_the_recipes_own_language_is_a_no_op(llm) -> None:
    stub, _, _ = llm
    response = await stub.Translate(llm_pb2.TranslateRequest(target_language=EN, recipes=[TORTILLA]))
    assert response.recipes[0].name == TORTILLA.name
    assert response.backend == "translation-memory"


async def test_how_long_does_it_take_answers_with_the_recipes_minutes(llm) -> None:
    stub, _, _ = llm
    answer = await stub.AnswerQuestion(
        llm_pb2.AnswerQuestionRequest(recipe_id=TORTILLA.id, question="¿cuánto tiempo tarda?")
    )
    assert "45 minutos" in answer.answer
    assert answer.answer.startswith("Según los datos de la receta «Tortilla de patatas»")
    assert (answer.language, answer.backend, answer.recipe_id) == (ES, "local", TORTILLA.id)
    english = await stub.AnswerQuestion(
        llm_pb2.AnswerQuestionRequest(recipe_id=CHICKPEA_CURRY.id, question="How long does it take?")
    )
    assert "25 minutes" in english.answer and english.language == EN


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("¿para cuántas personas es?", "6 porciones"),
        ("¿qué ingredientes lleva?", "patatas; huevos; cebolla; aceite de oliva; sal"),
        ("¿cuántas calorías tiene?", "320 kcal"),
        ("¿tiene gluten?", "no contiene gluten (trigo). Otros posibles alérgenos: huevo (huevos)"),
        ("¿es vegetariana?", "sí parece vegetariana"),
        ("¿puedo cambiar el aceite de oliva por mantequilla?", "Puedes reemplazar aceite de oliva por"),
        ("¿quién inventó la tortilla?", "No encuentro la respuesta"),
    ],
)
async def test_answers_come_from_the_recipe_data(llm, question: str, expected: str) -> None:
    stub, _, _ = llm
    answer = await stub.AnswerQuestion(llm_pb2.AnswerQuestionRequest(recipe_id=TORTILLA.id, question=question))
    assert expected in answer.answer


async def test_allergens_are_named_with_their_ingredient(llm) -> None:
    stub, _, _ = llm
    answer = await stub.AnswerQuestion(
        llm_pb2.AnswerQuestionRequest(recipe_id=104020, question="any allergens?", language=EN)
    )
    assert "gluten (wheat) (2 cups flour)" in answer.answer and "egg (1 egg)" in answer.answer


async def test_unknown_recipe_is_not_found(llm) -> None:
    stub, _, _ = llm
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.AnswerQuestion(llm_pb2.AnswerQuestionRequest(recipe_id=999, question="¿cuánto tarda?"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_meal_example_is_plausible_and_lists_the_unknown_item(llm) -> None:
    stub, _, _ = llm
    response = await stub.AnalyzeMeal(
        llm_pb2.AnalyzeMealRequest(text="2 huevos, 100 g de espinaca y una tostada integral, y un poco de kriptonita")
    )
    # USDA: 2 eggs (100 g) 143 kcal + 100 g spinach 23 kcal + 1 slice whole-wheat toast (32 g) 81 kcal.
    assert 240 <= response.nutrition.calories_kcal <= 350
    assert 15 <= response.nutrition.protein_g <= 25
    assert [m.food for m in response.matched] == ["huevo", "espinaca", "pan integral"]
    assert [m.grams for m in response.matched] == [100.0, 100.0, 32.0]
    assert list(response.unmatched) == ["un poco de kriptonita"]
    assert response.daily_value_pct.calories == pytest.approx(100 * response.nutrition.calories_kcal / 2000, abs=0.1)
    assert "USDA" in response.assessment and "kriptonita" in response.assessment
    assert response.suggestions and response.language == ES and response.backend == "local"


async def test_meal_items_units_and_recipe_portions(llm) -> None:
    stub, _, _ = llm
    response = await stub.AnalyzeMeal(
        llm_pb2.AnalyzeMealRequest(
            items=[
                llm_pb2.MealItem(ingredient="olive oil", quantity=2, unit="tbsp"),
                llm_pb2.MealItem(ingredient="rice", grams=150),
                llm_pb2.MealItem(ingredient="chicken breast", quantity=8, unit="oz"),
            ],
            recipes=[llm_pb2.RecipePortion(recipe_id=TORTILLA.id, servings=2), llm_pb2.RecipePortion(recipe_id=999)],
            language=EN,
        )
    )
    grams = [m.grams for m in response.matched]
    assert grams[0] == pytest.approx(27.0, abs=1.0)  # 2 tbsp = 30 ml of oil at ~0.9 g/ml
    assert grams[1] == 150.0
    assert grams[2] == pytest.approx(226.8, abs=0.1)  # 8 oz
    assert response.matched[3].nutrition.calories_kcal == pytest.approx(640.0)  # 2 servings x 320 kcal
    assert list(response.unmatched) == ["recipe 999 (not found)"]


async def test_bad_unit_is_invalid_argument_naming_the_field(llm) -> None:
    stub, _, _ = llm
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.AnalyzeMeal(
            llm_pb2.AnalyzeMealRequest(items=[llm_pb2.MealItem(ingredient="rice", quantity=1, unit="bucket")])
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "items[0].unit" in (err.value.details() or "")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.DetectLanguage(llm_pb2.DetectLanguageRequest(text="  ")), "text"),
        (lambda s: s.Translate(llm_pb2.TranslateRequest(texts=["hola"])), "target_language"),
        (lambda s: s.Translate(llm_pb2.TranslateRequest(target_language=EN)), "texts"),
        (lambda s: s.Translate(llm_pb2.TranslateRequest(target_language=EN, texts=["x" * 5000])), "texts[0]"),
        (lambda s: s.AnswerQuestion(llm_pb2.AnswerQuestionRequest(recipe_id=0, question="?")), "recipe_id"),
        (lambda s: s.AnalyzeMeal(llm_pb2.AnalyzeMealRequest()), "text"),
        (
            lambda s: s.AnalyzeMeal(
                llm_pb2.AnalyzeMealRequest(recipes=[llm_pb2.RecipePortion(recipe_id=1, servings=-1)])
            ),
            "recipes[0].servings",
        ),
        (lambda s: s.GetConversation(llm_pb2.GetConversationRequest(conversation_id="bad id!")), "conversation_id"),
    ],
)
async def test_bad_input_is_invalid_argument(llm, call, field: str) -> None:
    stub, _, _ = llm
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call(stub)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith(f"{field}:")


async def test_chat_grounds_streams_persists_and_follows_up(llm) -> None:
    stub, _, recommender = llm
    first = await chat(stub, "quiero algo vegano con garbanzos")
    conversation_id = first[0].conversation_id
    assert conversation_id and all(c.conversation_id == conversation_id for c in first)
    assert first[0].delta == "" and first[0].intent == "recommend"  # acknowledged after the commit
    assert len([c for c in first if c.delta]) > 1  # streamed in chunks
    final = first[-1]
    assert final.done and final.message_id and final.language == ES
    assert final.recipes[0].name == "Curry de garbanzos y espinaca"  # localised through the memory
    reply = "".join(c.delta for c in first)
    assert "Curry de garbanzos y espinaca — 25 min" in reply and "datos del catálogo" in reply
    assert recommender.requests[0].query == "quiero algo vegano con garbanzos"

    follow_up = await chat(stub, "¿cuánto tarda la primera?", conversation_id)
    assert follow_up[-1].intent == "ask_recipe"
    assert "25 minutos" in "".join(c.delta for c in follow_up)

    history = await stub.GetConversation(llm_pb2.GetConversationRequest(conversation_id=conversation_id))
    assert [m.seq for m in history.messages] == [1, 2, 3, 4]
    assert [m.role for m in history.messages] == [llm_pb2.ROLE_USER, llm_pb2.ROLE_ASSISTANT] * 2
    assert history.messages[1].content == reply
    assert history.messages[1].id == final.message_id
    assert history.messages[1].recipe_ids[0] == CHICKPEA_CURRY.id

    assert (await stub.DeleteConversation(llm_pb2.DeleteConversationRequest(conversation_id=conversation_id))).deleted
    assert not (
        await stub.DeleteConversation(llm_pb2.DeleteConversationRequest(conversation_id=conversation_id))
    ).deleted
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetConversation(llm_pb2.GetConversationRequest(conversation_id=conversation_id))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_chat_analyses_a_meal_and_greets(llm) -> None:
    stub, _, _ = llm
    meal = await chat(stub, "comí 2 huevos y 100 g de espinaca")
    assert meal[-1].intent == "analyze_meal"
    assert "166 kcal" in "".join(c.delta for c in meal)
    hello = await chat(stub, "hello!")
    assert hello[-1].intent == "other" and hello[-1].language == EN
    assert "recipe assistant" in "".join(c.delta for c in hello)


async def test_chat_with_the_catalog_down_says_so_and_is_degraded(llm) -> None:
    stub, _, recommender = llm
    recommender.fail_with = grpc.StatusCode.UNAVAILABLE
    turn = await chat(stub, "recommend a quick dinner")
    assert turn[-1].done and turn[-1].degraded
    assert "cannot reach the recipe catalog" in "".join(c.delta for c in turn)


async def test_chat_unknown_conversation_is_not_found(llm) -> None:
    stub, _, _ = llm
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await chat(stub, "hola", "does-not-exist")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_store_down_is_unavailable_with_a_clear_message_and_nothing_else_breaks(tmp_path: Path) -> None:
    # A PostgreSQL URL on a port where nothing listens: the store is down from the start.
    settings_kwargs = {"database_url": "postgresql://postgres@127.0.0.1:9/test", "database_connect_timeout_seconds": 1}
    async with (
        fake_recommender() as (address, _),
        served_llm(llm_settings(tmp_path, address, **settings_kwargs)) as (stub, _),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await chat(stub, "hola")
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "conversation store unavailable (postgresql at" in (err.value.details() or "")
        # Everything that does not need the store still works.
        answer = await stub.AnswerQuestion(
            llm_pb2.AnswerQuestionRequest(recipe_id=TORTILLA.id, question="¿cuánto tarda?")
        )
        assert "45" in answer.answer


async def test_store_failing_mid_turn_never_drops_silently(tmp_path: Path) -> None:
    """The reply streams, but if its commit fails the call ends UNAVAILABLE (no `done` chunk)."""
    store = create_store(f"sqlite:///{tmp_path}/c.db")

    class FailingOnReply(type(store)):  # type: ignore[misc]
        async def append_message(self, conversation_id, role, content, **kw):  # type: ignore[no-untyped-def]
            if role == "assistant":
                from services.llm.store import StoreUnavailable

                raise StoreUnavailable("conversation store unavailable (test): disk full")
            return await super().append_message(conversation_id, role, content, **kw)

    failing = FailingOnReply(f"sqlite:///{tmp_path}/c.db")
    async with (
        fake_recommender() as (address, _),
        served_llm(llm_settings(tmp_path, address), store=failing) as (stub, _),
    ):
        received: list[llm_pb2.ChatResponse] = []
        with pytest.raises(grpc.aio.AioRpcError) as err:
            async for chunk in stub.Chat(llm_pb2.ChatRequest(message="hola")):
                received.append(chunk)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "disk full" in (err.value.details() or "")
        assert received and not any(c.done for c in received)
