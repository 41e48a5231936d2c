import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from recipes.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_USER: _ClassVar[Role]
    ROLE_ASSISTANT: _ClassVar[Role]
ROLE_UNSPECIFIED: Role
ROLE_USER: Role
ROLE_ASSISTANT: Role

class LanguageConfidence(_message.Message):
    __slots__ = ("language", "confidence")
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    language: _common_pb2.Language
    confidence: float
    def __init__(self, language: _Optional[_Union[_common_pb2.Language, str]] = ..., confidence: _Optional[float] = ...) -> None: ...

class DetectLanguageRequest(_message.Message):
    __slots__ = ("text", "default_language")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    text: str
    default_language: _common_pb2.Language
    def __init__(self, text: _Optional[str] = ..., default_language: _Optional[_Union[_common_pb2.Language, str]] = ...) -> None: ...

class DetectLanguageResponse(_message.Message):
    __slots__ = ("language", "confidence", "reliable", "candidates")
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    RELIABLE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    language: _common_pb2.Language
    confidence: float
    reliable: bool
    candidates: _containers.RepeatedCompositeFieldContainer[LanguageConfidence]
    def __init__(self, language: _Optional[_Union[_common_pb2.Language, str]] = ..., confidence: _Optional[float] = ..., reliable: _Optional[bool] = ..., candidates: _Optional[_Iterable[_Union[LanguageConfidence, _Mapping]]] = ...) -> None: ...

class TranslateRequest(_message.Message):
    __slots__ = ("target_language", "source_language", "texts", "recipes")
    TARGET_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    RECIPES_FIELD_NUMBER: _ClassVar[int]
    target_language: _common_pb2.Language
    source_language: _common_pb2.Language
    texts: _containers.RepeatedScalarFieldContainer[str]
    recipes: _containers.RepeatedCompositeFieldContainer[_common_pb2.Recipe]
    def __init__(self, target_language: _Optional[_Union[_common_pb2.Language, str]] = ..., source_language: _Optional[_Union[_common_pb2.Language, str]] = ..., texts: _Optional[_Iterable[str]] = ..., recipes: _Optional[_Iterable[_Union[_common_pb2.Recipe, _Mapping]]] = ...) -> None: ...

class TranslateResponse(_message.Message):
    __slots__ = ("texts", "recipes", "backend", "cached_count", "degraded")
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    RECIPES_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    CACHED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    texts: _containers.RepeatedScalarFieldContainer[str]
    recipes: _containers.RepeatedCompositeFieldContainer[_common_pb2.Recipe]
    backend: str
    cached_count: int
    degraded: bool
    def __init__(self, texts: _Optional[_Iterable[str]] = ..., recipes: _Optional[_Iterable[_Union[_common_pb2.Recipe, _Mapping]]] = ..., backend: _Optional[str] = ..., cached_count: _Optional[int] = ..., degraded: _Optional[bool] = ...) -> None: ...

class AnswerQuestionRequest(_message.Message):
    __slots__ = ("recipe_id", "question", "language")
    RECIPE_ID_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    recipe_id: int
    question: str
    language: _common_pb2.Language
    def __init__(self, recipe_id: _Optional[int] = ..., question: _Optional[str] = ..., language: _Optional[_Union[_common_pb2.Language, str]] = ...) -> None: ...

class AnswerQuestionResponse(_message.Message):
    __slots__ = ("answer", "language", "recipe_id", "backend", "degraded")
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    RECIPE_ID_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    answer: str
    language: _common_pb2.Language
    recipe_id: int
    backend: str
    degraded: bool
    def __init__(self, answer: _Optional[str] = ..., language: _Optional[_Union[_common_pb2.Language, str]] = ..., recipe_id: _Optional[int] = ..., backend: _Optional[str] = ..., degraded: _Optional[bool] = ...) -> None: ...

class MealItem(_message.Message):
    __slots__ = ("ingredient", "quantity", "unit", "grams")
    INGREDIENT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    GRAMS_FIELD_NUMBER: _ClassVar[int]
    ingredient: str
    quantity: float
    unit: str
    grams: float
    def __init__(self, ingredient: _Optional[str] = ..., quantity: _Optional[float] = ..., unit: _Optional[str] = ..., grams: _Optional[float] = ...) -> None: ...

class RecipePortion(_message.Message):
    __slots__ = ("recipe_id", "servings")
    RECIPE_ID_FIELD_NUMBER: _ClassVar[int]
    SERVINGS_FIELD_NUMBER: _ClassVar[int]
    recipe_id: int
    servings: float
    def __init__(self, recipe_id: _Optional[int] = ..., servings: _Optional[float] = ...) -> None: ...

class AnalyzeMealRequest(_message.Message):
    __slots__ = ("text", "items", "recipes", "language")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    RECIPES_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    text: str
    items: _containers.RepeatedCompositeFieldContainer[MealItem]
    recipes: _containers.RepeatedCompositeFieldContainer[RecipePortion]
    language: _common_pb2.Language
    def __init__(self, text: _Optional[str] = ..., items: _Optional[_Iterable[_Union[MealItem, _Mapping]]] = ..., recipes: _Optional[_Iterable[_Union[RecipePortion, _Mapping]]] = ..., language: _Optional[_Union[_common_pb2.Language, str]] = ...) -> None: ...

class MatchedItem(_message.Message):
    __slots__ = ("input", "food", "grams", "nutrition")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    FOOD_FIELD_NUMBER: _ClassVar[int]
    GRAMS_FIELD_NUMBER: _ClassVar[int]
    NUTRITION_FIELD_NUMBER: _ClassVar[int]
    input: str
    food: str
    grams: float
    nutrition: _common_pb2.Nutrition
    def __init__(self, input: _Optional[str] = ..., food: _Optional[str] = ..., grams: _Optional[float] = ..., nutrition: _Optional[_Union[_common_pb2.Nutrition, _Mapping]] = ...) -> None: ...

class DailyValuePercent(_message.Message):
    __slots__ = ("calories", "protein", "fat", "saturated_fat", "carbohydrates", "sugar", "fiber", "sodium")
    CALORIES_FIELD_NUMBER: _ClassVar[int]
    PROTEIN_FIELD_NUMBER: _ClassVar[int]
    FAT_FIELD_NUMBER: _ClassVar[int]
    SATURATED_FAT_FIELD_NUMBER: _ClassVar[int]
    CARBOHYDRATES_FIELD_NUMBER: _ClassVar[int]
    SUGAR_FIELD_NUMBER: _ClassVar[int]
    FIBER_FIELD_NUMBER: _ClassVar[int]
    SODIUM_FIELD_NUMBER: _ClassVar[int]
    calories: float
    protein: float
    fat: float
    saturated_fat: float
    carbohydrates: float
    sugar: float
    fiber: float
    sodium: float
    def __init__(self, calories: _Optional[float] = ..., protein: _Optional[float] = ..., fat: _Optional[float] = ..., saturated_fat: _Optional[float] = ..., carbohydrates: _Optional[float] = ..., sugar: _Optional[float] = ..., fiber: _Optional[float] = ..., sodium: _Optional[float] = ...) -> None: ...

class AnalyzeMealResponse(_message.Message):
    __slots__ = ("nutrition", "daily_value_pct", "assessment", "suggestions", "matched", "unmatched", "language", "backend", "degraded")
    NUTRITION_FIELD_NUMBER: _ClassVar[int]
    DAILY_VALUE_PCT_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_FIELD_NUMBER: _ClassVar[int]
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    UNMATCHED_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    nutrition: _common_pb2.Nutrition
    daily_value_pct: DailyValuePercent
    assessment: str
    suggestions: _containers.RepeatedScalarFieldContainer[str]
    matched: _containers.RepeatedCompositeFieldContainer[MatchedItem]
    unmatched: _containers.RepeatedScalarFieldContainer[str]
    language: _common_pb2.Language
    backend: str
    degraded: bool
    def __init__(self, nutrition: _Optional[_Union[_common_pb2.Nutrition, _Mapping]] = ..., daily_value_pct: _Optional[_Union[DailyValuePercent, _Mapping]] = ..., assessment: _Optional[str] = ..., suggestions: _Optional[_Iterable[str]] = ..., matched: _Optional[_Iterable[_Union[MatchedItem, _Mapping]]] = ..., unmatched: _Optional[_Iterable[str]] = ..., language: _Optional[_Union[_common_pb2.Language, str]] = ..., backend: _Optional[str] = ..., degraded: _Optional[bool] = ...) -> None: ...

class ConversationMessage(_message.Message):
    __slots__ = ("id", "seq", "role", "content", "created_at", "recipe_ids", "language")
    ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    RECIPE_IDS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    seq: int
    role: Role
    content: str
    created_at: _timestamp_pb2.Timestamp
    recipe_ids: _containers.RepeatedScalarFieldContainer[int]
    language: _common_pb2.Language
    def __init__(self, id: _Optional[str] = ..., seq: _Optional[int] = ..., role: _Optional[_Union[Role, str]] = ..., content: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recipe_ids: _Optional[_Iterable[int]] = ..., language: _Optional[_Union[_common_pb2.Language, str]] = ...) -> None: ...

class ChatRequest(_message.Message):
    __slots__ = ("conversation_id", "message", "language")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message: str
    language: _common_pb2.Language
    def __init__(self, conversation_id: _Optional[str] = ..., message: _Optional[str] = ..., language: _Optional[_Union[_common_pb2.Language, str]] = ...) -> None: ...

class ChatResponse(_message.Message):
    __slots__ = ("conversation_id", "delta", "done", "recipes", "message_id", "language", "intent", "degraded")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    RECIPES_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    INTENT_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    delta: str
    done: bool
    recipes: _containers.RepeatedCompositeFieldContainer[_common_pb2.Recipe]
    message_id: str
    language: _common_pb2.Language
    intent: str
    degraded: bool
    def __init__(self, conversation_id: _Optional[str] = ..., delta: _Optional[str] = ..., done: _Optional[bool] = ..., recipes: _Optional[_Iterable[_Union[_common_pb2.Recipe, _Mapping]]] = ..., message_id: _Optional[str] = ..., language: _Optional[_Union[_common_pb2.Language, str]] = ..., intent: _Optional[str] = ..., degraded: _Optional[bool] = ...) -> None: ...

class GetConversationRequest(_message.Message):
    __slots__ = ("conversation_id",)
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    def __init__(self, conversation_id: _Optional[str] = ...) -> None: ...

class GetConversationResponse(_message.Message):
    __slots__ = ("conversation_id", "messages", "created_at")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    messages: _containers.RepeatedCompositeFieldContainer[ConversationMessage]
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, conversation_id: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[ConversationMessage, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DeleteConversationRequest(_message.Message):
    __slots__ = ("conversation_id",)
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    def __init__(self, conversation_id: _Optional[str] = ...) -> None: ...

class DeleteConversationResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...
