from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Language(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LANGUAGE_UNSPECIFIED: _ClassVar[Language]
    LANGUAGE_ES: _ClassVar[Language]
    LANGUAGE_EN: _ClassVar[Language]
LANGUAGE_UNSPECIFIED: Language
LANGUAGE_ES: Language
LANGUAGE_EN: Language

class Nutrition(_message.Message):
    __slots__ = ("calories_kcal", "protein_g", "fat_g", "saturated_fat_g", "carbohydrates_g", "sugar_g", "fiber_g", "sodium_mg")
    CALORIES_KCAL_FIELD_NUMBER: _ClassVar[int]
    PROTEIN_G_FIELD_NUMBER: _ClassVar[int]
    FAT_G_FIELD_NUMBER: _ClassVar[int]
    SATURATED_FAT_G_FIELD_NUMBER: _ClassVar[int]
    CARBOHYDRATES_G_FIELD_NUMBER: _ClassVar[int]
    SUGAR_G_FIELD_NUMBER: _ClassVar[int]
    FIBER_G_FIELD_NUMBER: _ClassVar[int]
    SODIUM_MG_FIELD_NUMBER: _ClassVar[int]
    calories_kcal: float
    protein_g: float
    fat_g: float
    saturated_fat_g: float
    carbohydrates_g: float
    sugar_g: float
    fiber_g: float
    sodium_mg: float
    def __init__(self, calories_kcal: _Optional[float] = ..., protein_g: _Optional[float] = ..., fat_g: _Optional[float] = ..., saturated_fat_g: _Optional[float] = ..., carbohydrates_g: _Optional[float] = ..., sugar_g: _Optional[float] = ..., fiber_g: _Optional[float] = ..., sodium_mg: _Optional[float] = ...) -> None: ...

class Rating(_message.Message):
    __slots__ = ("average", "count", "bayesian_average")
    AVERAGE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    BAYESIAN_AVERAGE_FIELD_NUMBER: _ClassVar[int]
    average: float
    count: int
    bayesian_average: float
    def __init__(self, average: _Optional[float] = ..., count: _Optional[int] = ..., bayesian_average: _Optional[float] = ...) -> None: ...

class RecipeText(_message.Message):
    __slots__ = ("language", "name", "description", "ingredients", "steps")
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INGREDIENTS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    language: Language
    name: str
    description: str
    ingredients: _containers.RepeatedScalarFieldContainer[str]
    steps: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, language: _Optional[_Union[Language, str]] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., ingredients: _Optional[_Iterable[str]] = ..., steps: _Optional[_Iterable[str]] = ...) -> None: ...

class Recipe(_message.Message):
    __slots__ = ("id", "name", "description", "ingredients", "steps", "minutes", "tags", "nutrition", "rating", "language", "localized", "servings", "cuisine")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INGREDIENTS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    MINUTES_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    NUTRITION_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    LOCALIZED_FIELD_NUMBER: _ClassVar[int]
    SERVINGS_FIELD_NUMBER: _ClassVar[int]
    CUISINE_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    description: str
    ingredients: _containers.RepeatedScalarFieldContainer[str]
    steps: _containers.RepeatedScalarFieldContainer[str]
    minutes: int
    tags: _containers.RepeatedScalarFieldContainer[str]
    nutrition: Nutrition
    rating: Rating
    language: Language
    localized: _containers.RepeatedCompositeFieldContainer[RecipeText]
    servings: int
    cuisine: str
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., ingredients: _Optional[_Iterable[str]] = ..., steps: _Optional[_Iterable[str]] = ..., minutes: _Optional[int] = ..., tags: _Optional[_Iterable[str]] = ..., nutrition: _Optional[_Union[Nutrition, _Mapping]] = ..., rating: _Optional[_Union[Rating, _Mapping]] = ..., language: _Optional[_Union[Language, str]] = ..., localized: _Optional[_Iterable[_Union[RecipeText, _Mapping]]] = ..., servings: _Optional[int] = ..., cuisine: _Optional[str] = ...) -> None: ...
