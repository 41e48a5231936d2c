"""The Localizer: cheapest source first, at most one Translate call, degraded on failure."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import grpc
import pytest

from gateway.clients import ServiceClients
from gateway.localize import Localizer, TranslationCache, with_text
from recipes.common.v1 import common_pb2
from tests.support.gateway_fakes import BY_ID, CATALOG, FakeServices, fake_services


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeServices]:
    with fake_services() as services:
        yield services


@pytest.fixture
async def clients(fakes: FakeServices) -> AsyncIterator[ServiceClients]:
    fakes.reset()
    services = ServiceClients(fakes.recommender_addr, fakes.llm_addr)
    yield services
    await services.close()


def localizer(clients: ServiceClients, cache_size: int = 16) -> Localizer:
    return Localizer(clients.llm, TranslationCache(cache_size), timeout=2.0)


async def test_sources_in_order_native_memory_llm(clients: ServiceClients, fakes: FakeServices) -> None:
    result = await localizer(clients).localize(CATALOG, "es", "v1")
    assert [r.name for r in result.recipes] == [
        "Ensalada de pollo y palta",
        "shakshuka [es]",
        "tortilla de patatas",
        "Avena nocturna con frutos rojos",
        "green smoothie bowl [es]",
    ]
    assert result.sources == {"native": 1, "memory": 2, "llm": 2}
    assert result.degraded_reason is None
    (call,) = fakes.llm.calls["Translate"]
    assert [r.id for r in call.recipes] == [104, 105]
    assert call.source_language == common_pb2.LANGUAGE_EN
    # Only text travels to the translator; the rest of the recipe is kept from the original.
    assert not call.recipes[0].HasField("nutrition") and not call.recipes[0].tags
    assert result.recipes[1].nutrition == BY_ID[104].nutrition and result.recipes[1].language == common_pb2.LANGUAGE_ES
    assert all(not r.localized for r in result.recipes if r.id != 103)


async def test_nothing_to_translate_makes_no_call(clients: ServiceClients, fakes: FakeServices) -> None:
    result = await localizer(clients).localize([BY_ID[101], BY_ID[103]], "es", "v1")
    assert result.sources == {"memory": 1, "native": 1}
    assert fakes.llm.count("Translate") == 0
    empty = await localizer(clients).localize([], "en", "v1")
    assert empty.recipes == [] and fakes.llm.count("Translate") == 0


async def test_cache_is_keyed_by_model_version(clients: ServiceClients, fakes: FakeServices) -> None:
    loc = localizer(clients)
    await loc.localize([BY_ID[104]], "es", "v1")
    again = await loc.localize([BY_ID[104]], "es", "v1")
    assert again.sources == {"cache": 1} and again.recipes[0].name == "shakshuka [es]"
    assert fakes.llm.count("Translate") == 1
    await loc.localize([BY_ID[104]], "es", "v2")  # a new bundle may have new text
    await loc.localize([BY_ID[104]], "en", "v1")  # already English: native
    assert fakes.llm.count("Translate") == 2


async def test_failure_leaves_text_untranslated_with_a_reason(clients: ServiceClients, fakes: FakeServices) -> None:
    fakes.llm.fail["Translate"] = grpc.StatusCode.UNAVAILABLE
    result = await localizer(clients).localize([BY_ID[101], BY_ID[104]], "es", "v1")
    assert [r.name for r in result.recipes] == ["Ensalada de pollo y palta", "shakshuka"]
    assert result.degraded_reason == "translation_failed"
    assert result.sources == {"memory": 1, "untranslated": 1}


def test_translation_cache_is_a_bounded_lru() -> None:
    cache = TranslationCache(2)
    a, b, c = (common_pb2.Recipe(id=i) for i in (1, 2, 3))
    cache.put((1, "es", "v"), a)
    cache.put((2, "es", "v"), b)
    assert cache.get((1, "es", "v")) is a  # 1 is now the most recent
    cache.put((3, "es", "v"), c)
    assert cache.get((2, "es", "v")) is None and len(cache) == 2
    disabled = TranslationCache(0)
    disabled.put((1, "es", "v"), a)
    assert disabled.get((1, "es", "v")) is None


def test_with_text_replaces_only_text() -> None:
    text = common_pb2.RecipeText(
        language=common_pb2.LANGUAGE_ES, name="n", description="d", ingredients=["i"], steps=["s"]
    )
    out = with_text(BY_ID[101], text)
    assert (out.name, list(out.ingredients), list(out.steps)) == ("n", ["i"], ["s"])
    assert out.rating == BY_ID[101].rating and out.id == 101 and not out.localized
    assert BY_ID[101].name == "peruvian chicken and avocado salad"  # the original is untouched
