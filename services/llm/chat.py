"""One chat turn: persist the question, ground the reply, stream it, persist it, finish.

Order of events (each chunk carries the conversation id):
1. the user message is committed, then the first chunk goes out (the turn is acknowledged);
2. the intent decides the grounding: recommender results, a recipe asked about, or a meal
   analysis from the nutrition table;
3. the backend streams the reply (retry/fallback before the first token, see the router);
4. the reply is committed, and only then the last chunk (``done``) is sent with the
   stored message id and the recipes. If the store fails, the call ends UNAVAILABLE.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

from recipes.common.v1 import common_pb2
from recipes.llm.v1 import llm_pb2
from services.common.errors import NotFound, Unavailable
from services.llm.backends.base import ChatPrompt, GroundingRecipe, LlmBackend
from services.llm.detect import LanguageDetector
from services.llm.intents import ANALYSE, ASK, RECOMMEND, Intent, classify_intent
from services.llm.languages import DEFAULT_LANG, Lang, from_code, to_pb
from services.llm.meals import MealAnalyzer
from services.llm.metrics import CHAT_TURNS
from services.llm.recipe_source import RecipeSource
from services.llm.resources import NUTRIENTS
from services.llm.router import Router
from services.llm.store import ConversationStore, Message
from services.llm.translation import Translator

log = logging.getLogger(__name__)

ROLE_NAMES = {"user": llm_pb2.ROLE_USER, "assistant": llm_pb2.ROLE_ASSISTANT}


def grounding(recipe: common_pb2.Recipe) -> GroundingRecipe:
    return GroundingRecipe(
        id=recipe.id,
        name=recipe.name,
        description=recipe.description,
        ingredients=list(recipe.ingredients),
        steps=list(recipe.steps),
        minutes=recipe.minutes,
        servings=recipe.servings,
        rating=recipe.rating.average,
        rating_count=recipe.rating.count,
        tags=list(recipe.tags),
        nutrition={n: getattr(recipe.nutrition, n) for n in NUTRIENTS},
    )


class ChatEngine:
    def __init__(
        self,
        *,
        store: ConversationStore,
        router: Router,
        recipes: RecipeSource,
        detector: LanguageDetector,
        translator: Translator,
        meals: MealAnalyzer,
        history_messages: int,
        recipes_per_reply: int,
        recipe_timeout: float,
    ) -> None:
        self.store = store
        self.router = router
        self.recipes = recipes
        self.detector = detector
        self.translator = translator
        self.meals = meals
        self.history_messages = history_messages
        self.recipes_per_reply = recipes_per_reply
        self.recipe_timeout = recipe_timeout

    async def turn(
        self, conversation_id: str, message: str, language: Lang | None, *, deadline: Callable[[], float]
    ) -> AsyncIterator[llm_pb2.ChatResponse]:
        if conversation_id:
            if await self.store.get_conversation(conversation_id) is None:
                raise NotFound(f"conversation {conversation_id} not found (deleted, expired or never created)")
        else:
            conversation_id = (await self.store.create_conversation()).id

        history = await self.store.messages(conversation_id, last=self.history_messages or None)
        previous_lang = next((from_code(m.language) for m in reversed(history) if m.language), None)
        lang: Lang = language or self.detector.detect(message, default=previous_lang or DEFAULT_LANG).language
        shown = self._shown_recipe_ids(history)
        intent = classify_intent(message, has_recipe_context=bool(shown))

        user_message = await self.store.append_message(
            conversation_id, "user", message, language=lang, intent=intent.name
        )
        yield llm_pb2.ChatResponse(conversation_id=conversation_id, language=to_pb(lang), intent=intent.name)

        prompt, shown_recipes, degraded = await self._prompt(message, lang, intent, history, shown, deadline())
        prompt.history = [(m.role, m.content) for m in history if m.id != user_message.id]

        def make(backend: LlmBackend, timeout: float) -> AsyncIterator[str]:
            return backend.chat(prompt, timeout=timeout)

        reply_parts: list[str] = []
        backend_name = self.router.primary.name
        async for piece in self.router.stream("chat", make, deadline=deadline()):
            reply_parts.append(piece.text)
            backend_name = piece.backend
            degraded = degraded or piece.degraded
            yield llm_pb2.ChatResponse(conversation_id=conversation_id, delta=piece.text)

        stored = await self.store.append_message(
            conversation_id,
            "assistant",
            "".join(reply_parts),
            language=lang,
            intent=intent.name,
            recipe_ids=[r.id for r in shown_recipes],
        )
        CHAT_TURNS.labels(intent.name, backend_name).inc()
        yield llm_pb2.ChatResponse(
            conversation_id=conversation_id,
            done=True,
            recipes=shown_recipes,
            message_id=stored.id,
            language=to_pb(lang),
            intent=intent.name,
            degraded=degraded,
        )

    @staticmethod
    def _shown_recipe_ids(history: list[Message]) -> list[int]:
        for message in reversed(history):
            if message.role == "assistant" and message.recipe_ids:
                return message.recipe_ids
        return []

    async def _localise(self, recipes: list[common_pb2.Recipe], lang: Lang, deadline: float) -> list[common_pb2.Recipe]:
        if not recipes:
            return []
        result = await self.translator.translate([], recipes, lang, None, deadline=deadline)
        return result.recipes

    async def _prompt(
        self, message: str, lang: Lang, intent: Intent, history: list[Message], shown: list[int], deadline: float
    ) -> tuple[ChatPrompt, list[common_pb2.Recipe], bool]:
        prompt = ChatPrompt(message=message, lang=lang, intent=intent.name)
        if intent.name == RECOMMEND:
            try:
                found = await self.recipes.recommend(message, self.recipes_per_reply, lang, timeout=self.recipe_timeout)
            except (Unavailable, NotFound) as exc:
                log.warning("chat grounding failed: %s", exc)
                prompt.catalog_unavailable = True
                return prompt, [], True
            localised = await self._localise(found, lang, deadline)
            prompt.recipes = [grounding(r) for r in localised]
            return prompt, localised, False
        if intent.name == ASK:
            index = intent.ordinal if intent.ordinal is not None else 0
            if not shown or index >= len(shown):
                return prompt, [], False
            try:
                focus = await self.recipes.get_recipe(shown[index], timeout=self.recipe_timeout)
            except (Unavailable, NotFound) as exc:
                log.warning("chat grounding failed: %s", exc)
                prompt.catalog_unavailable = True
                return prompt, [], True
            prompt.focus = focus
            localised = await self._localise([focus], lang, deadline)
            return prompt, localised, False
        if intent.name == ANALYSE:
            result = await self.meals.analyse(message, [], [], lang, deadline=deadline)
            prompt.analysis = result.analysis
            return prompt, [], result.degraded
        return prompt, [], False
