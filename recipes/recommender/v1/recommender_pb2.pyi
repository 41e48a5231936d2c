import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from recipes.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Filters(_message.Message):
    __slots__ = ("max_minutes", "tags", "include_ingredients", "exclude_ingredients")
    MAX_MINUTES_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INGREDIENTS_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_INGREDIENTS_FIELD_NUMBER: _ClassVar[int]
    max_minutes: int
    tags: _containers.RepeatedScalarFieldContainer[str]
    include_ingredients: _containers.RepeatedScalarFieldContainer[str]
    exclude_ingredients: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, max_minutes: _Optional[int] = ..., tags: _Optional[_Iterable[str]] = ..., include_ingredients: _Optional[_Iterable[str]] = ..., exclude_ingredients: _Optional[_Iterable[str]] = ...) -> None: ...

class ParsedFilters(_message.Message):
    __slots__ = ("filters", "pantry", "semantic_query", "matched_phrases", "language")
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    PANTRY_FIELD_NUMBER: _ClassVar[int]
    SEMANTIC_QUERY_FIELD_NUMBER: _ClassVar[int]
    MATCHED_PHRASES_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    filters: Filters
    pantry: _containers.RepeatedScalarFieldContainer[str]
    semantic_query: str
    matched_phrases: _containers.RepeatedScalarFieldContainer[str]
    language: _common_pb2.Language
    def __init__(self, filters: _Optional[_Union[Filters, _Mapping]] = ..., pantry: _Optional[_Iterable[str]] = ..., semantic_query: _Optional[str] = ..., matched_phrases: _Optional[_Iterable[str]] = ..., language: _Optional[_Union[_common_pb2.Language, str]] = ...) -> None: ...

class ScoreBreakdown(_message.Message):
    __slots__ = ("hybrid", "semantic", "lexical", "popularity", "pantry_coverage")
    HYBRID_FIELD_NUMBER: _ClassVar[int]
    SEMANTIC_FIELD_NUMBER: _ClassVar[int]
    LEXICAL_FIELD_NUMBER: _ClassVar[int]
    POPULARITY_FIELD_NUMBER: _ClassVar[int]
    PANTRY_COVERAGE_FIELD_NUMBER: _ClassVar[int]
    hybrid: float
    semantic: float
    lexical: float
    popularity: float
    pantry_coverage: float
    def __init__(self, hybrid: _Optional[float] = ..., semantic: _Optional[float] = ..., lexical: _Optional[float] = ..., popularity: _Optional[float] = ..., pantry_coverage: _Optional[float] = ...) -> None: ...

class RecommendedRecipe(_message.Message):
    __slots__ = ("recipe", "score", "missing_ingredients")
    RECIPE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    MISSING_INGREDIENTS_FIELD_NUMBER: _ClassVar[int]
    recipe: _common_pb2.Recipe
    score: ScoreBreakdown
    missing_ingredients: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, recipe: _Optional[_Union[_common_pb2.Recipe, _Mapping]] = ..., score: _Optional[_Union[ScoreBreakdown, _Mapping]] = ..., missing_ingredients: _Optional[_Iterable[str]] = ...) -> None: ...

class RecommendRequest(_message.Message):
    __slots__ = ("query", "n", "alpha", "filters", "language", "pantry")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PANTRY_FIELD_NUMBER: _ClassVar[int]
    query: str
    n: int
    alpha: float
    filters: Filters
    language: _common_pb2.Language
    pantry: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, query: _Optional[str] = ..., n: _Optional[int] = ..., alpha: _Optional[float] = ..., filters: _Optional[_Union[Filters, _Mapping]] = ..., language: _Optional[_Union[_common_pb2.Language, str]] = ..., pantry: _Optional[_Iterable[str]] = ...) -> None: ...

class RecommendResponse(_message.Message):
    __slots__ = ("recipes", "parsed_filters", "degraded", "degraded_reason", "model_version")
    RECIPES_FIELD_NUMBER: _ClassVar[int]
    PARSED_FILTERS_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_REASON_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    recipes: _containers.RepeatedCompositeFieldContainer[RecommendedRecipe]
    parsed_filters: ParsedFilters
    degraded: bool
    degraded_reason: str
    model_version: str
    def __init__(self, recipes: _Optional[_Iterable[_Union[RecommendedRecipe, _Mapping]]] = ..., parsed_filters: _Optional[_Union[ParsedFilters, _Mapping]] = ..., degraded: _Optional[bool] = ..., degraded_reason: _Optional[str] = ..., model_version: _Optional[str] = ...) -> None: ...

class GetRecipeRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class GetRecipeResponse(_message.Message):
    __slots__ = ("recipe", "model_version")
    RECIPE_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    recipe: _common_pb2.Recipe
    model_version: str
    def __init__(self, recipe: _Optional[_Union[_common_pb2.Recipe, _Mapping]] = ..., model_version: _Optional[str] = ...) -> None: ...

class BatchGetRecipesRequest(_message.Message):
    __slots__ = ("ids",)
    IDS_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, ids: _Optional[_Iterable[int]] = ...) -> None: ...

class BatchGetRecipesResponse(_message.Message):
    __slots__ = ("recipes", "missing_ids", "model_version")
    RECIPES_FIELD_NUMBER: _ClassVar[int]
    MISSING_IDS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    recipes: _containers.RepeatedCompositeFieldContainer[_common_pb2.Recipe]
    missing_ids: _containers.RepeatedScalarFieldContainer[int]
    model_version: str
    def __init__(self, recipes: _Optional[_Iterable[_Union[_common_pb2.Recipe, _Mapping]]] = ..., missing_ids: _Optional[_Iterable[int]] = ..., model_version: _Optional[str] = ...) -> None: ...

class SimilarRecipesRequest(_message.Message):
    __slots__ = ("id", "n")
    ID_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    id: int
    n: int
    def __init__(self, id: _Optional[int] = ..., n: _Optional[int] = ...) -> None: ...

class SimilarRecipesResponse(_message.Message):
    __slots__ = ("recipes", "model_version")
    RECIPES_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    recipes: _containers.RepeatedCompositeFieldContainer[RecommendedRecipe]
    model_version: str
    def __init__(self, recipes: _Optional[_Iterable[_Union[RecommendedRecipe, _Mapping]]] = ..., model_version: _Optional[str] = ...) -> None: ...

class RerankCandidate(_message.Message):
    __slots__ = ("recipe_id", "text")
    RECIPE_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    recipe_id: int
    text: str
    def __init__(self, recipe_id: _Optional[int] = ..., text: _Optional[str] = ...) -> None: ...

class RerankRequest(_message.Message):
    __slots__ = ("query", "candidates", "alpha", "language")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    query: str
    candidates: _containers.RepeatedCompositeFieldContainer[RerankCandidate]
    alpha: float
    language: _common_pb2.Language
    def __init__(self, query: _Optional[str] = ..., candidates: _Optional[_Iterable[_Union[RerankCandidate, _Mapping]]] = ..., alpha: _Optional[float] = ..., language: _Optional[_Union[_common_pb2.Language, str]] = ...) -> None: ...

class RerankResult(_message.Message):
    __slots__ = ("index", "score", "breakdown", "excluded", "excluded_reason")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    BREAKDOWN_FIELD_NUMBER: _ClassVar[int]
    EXCLUDED_FIELD_NUMBER: _ClassVar[int]
    EXCLUDED_REASON_FIELD_NUMBER: _ClassVar[int]
    index: int
    score: float
    breakdown: ScoreBreakdown
    excluded: bool
    excluded_reason: str
    def __init__(self, index: _Optional[int] = ..., score: _Optional[float] = ..., breakdown: _Optional[_Union[ScoreBreakdown, _Mapping]] = ..., excluded: _Optional[bool] = ..., excluded_reason: _Optional[str] = ...) -> None: ...

class RerankResponse(_message.Message):
    __slots__ = ("results", "parsed_filters", "degraded", "model_version")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    PARSED_FILTERS_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RerankResult]
    parsed_filters: ParsedFilters
    degraded: bool
    model_version: str
    def __init__(self, results: _Optional[_Iterable[_Union[RerankResult, _Mapping]]] = ..., parsed_filters: _Optional[_Union[ParsedFilters, _Mapping]] = ..., degraded: _Optional[bool] = ..., model_version: _Optional[str] = ...) -> None: ...

class GetModelInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetModelInfoResponse(_message.Message):
    __slots__ = ("version", "bundle_uri", "manifest_json", "num_recipes", "dimensions", "embedding_model", "index_backend", "vector_bytes", "index_bytes", "loaded_at")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_URI_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_JSON_FIELD_NUMBER: _ClassVar[int]
    NUM_RECIPES_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    INDEX_BACKEND_FIELD_NUMBER: _ClassVar[int]
    VECTOR_BYTES_FIELD_NUMBER: _ClassVar[int]
    INDEX_BYTES_FIELD_NUMBER: _ClassVar[int]
    LOADED_AT_FIELD_NUMBER: _ClassVar[int]
    version: str
    bundle_uri: str
    manifest_json: str
    num_recipes: int
    dimensions: int
    embedding_model: str
    index_backend: str
    vector_bytes: int
    index_bytes: int
    loaded_at: _timestamp_pb2.Timestamp
    def __init__(self, version: _Optional[str] = ..., bundle_uri: _Optional[str] = ..., manifest_json: _Optional[str] = ..., num_recipes: _Optional[int] = ..., dimensions: _Optional[int] = ..., embedding_model: _Optional[str] = ..., index_backend: _Optional[str] = ..., vector_bytes: _Optional[int] = ..., index_bytes: _Optional[int] = ..., loaded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReloadModelRequest(_message.Message):
    __slots__ = ("bundle_uri",)
    BUNDLE_URI_FIELD_NUMBER: _ClassVar[int]
    bundle_uri: str
    def __init__(self, bundle_uri: _Optional[str] = ...) -> None: ...

class ReloadModelResponse(_message.Message):
    __slots__ = ("reloaded", "version", "previous_version", "message")
    RELOADED_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    reloaded: bool
    version: str
    previous_version: str
    message: str
    def __init__(self, reloaded: _Optional[bool] = ..., version: _Optional[str] = ..., previous_version: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...
