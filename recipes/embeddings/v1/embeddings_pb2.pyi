from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InputType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INPUT_TYPE_UNSPECIFIED: _ClassVar[InputType]
    INPUT_TYPE_QUERY: _ClassVar[InputType]
    INPUT_TYPE_DOCUMENT: _ClassVar[InputType]

class VectorEncoding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VECTOR_ENCODING_UNSPECIFIED: _ClassVar[VectorEncoding]
    VECTOR_ENCODING_FLOAT32: _ClassVar[VectorEncoding]
    VECTOR_ENCODING_FLOAT16: _ClassVar[VectorEncoding]
INPUT_TYPE_UNSPECIFIED: InputType
INPUT_TYPE_QUERY: InputType
INPUT_TYPE_DOCUMENT: InputType
VECTOR_ENCODING_UNSPECIFIED: VectorEncoding
VECTOR_ENCODING_FLOAT32: VectorEncoding
VECTOR_ENCODING_FLOAT16: VectorEncoding

class EmbedRequest(_message.Message):
    __slots__ = ("texts", "model", "input_type", "encoding")
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    INPUT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    texts: _containers.RepeatedScalarFieldContainer[str]
    model: str
    input_type: InputType
    encoding: VectorEncoding
    def __init__(self, texts: _Optional[_Iterable[str]] = ..., model: _Optional[str] = ..., input_type: _Optional[_Union[InputType, str]] = ..., encoding: _Optional[_Union[VectorEncoding, str]] = ...) -> None: ...

class Embedding(_message.Message):
    __slots__ = ("values", "float16")
    VALUES_FIELD_NUMBER: _ClassVar[int]
    FLOAT16_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    float16: bytes
    def __init__(self, values: _Optional[_Iterable[float]] = ..., float16: _Optional[bytes] = ...) -> None: ...

class EmbedResponse(_message.Message):
    __slots__ = ("embeddings", "model", "dimensions", "cached_count")
    EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    CACHED_COUNT_FIELD_NUMBER: _ClassVar[int]
    embeddings: _containers.RepeatedCompositeFieldContainer[Embedding]
    model: str
    dimensions: int
    cached_count: int
    def __init__(self, embeddings: _Optional[_Iterable[_Union[Embedding, _Mapping]]] = ..., model: _Optional[str] = ..., dimensions: _Optional[int] = ..., cached_count: _Optional[int] = ...) -> None: ...

class EmbedStreamRequest(_message.Message):
    __slots__ = ("sequence", "texts", "model", "input_type", "encoding")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    INPUT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    texts: _containers.RepeatedScalarFieldContainer[str]
    model: str
    input_type: InputType
    encoding: VectorEncoding
    def __init__(self, sequence: _Optional[int] = ..., texts: _Optional[_Iterable[str]] = ..., model: _Optional[str] = ..., input_type: _Optional[_Union[InputType, str]] = ..., encoding: _Optional[_Union[VectorEncoding, str]] = ...) -> None: ...

class EmbedStreamResponse(_message.Message):
    __slots__ = ("sequence", "embeddings", "model", "dimensions", "cached_count")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    CACHED_COUNT_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    embeddings: _containers.RepeatedCompositeFieldContainer[Embedding]
    model: str
    dimensions: int
    cached_count: int
    def __init__(self, sequence: _Optional[int] = ..., embeddings: _Optional[_Iterable[_Union[Embedding, _Mapping]]] = ..., model: _Optional[str] = ..., dimensions: _Optional[int] = ..., cached_count: _Optional[int] = ...) -> None: ...

class InfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class InfoResponse(_message.Message):
    __slots__ = ("model", "backend", "dimensions", "normalized", "max_texts_per_request", "max_chars_per_text", "max_batch_size", "languages")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_FIELD_NUMBER: _ClassVar[int]
    MAX_TEXTS_PER_REQUEST_FIELD_NUMBER: _ClassVar[int]
    MAX_CHARS_PER_TEXT_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    model: str
    backend: str
    dimensions: int
    normalized: bool
    max_texts_per_request: int
    max_chars_per_text: int
    max_batch_size: int
    languages: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, model: _Optional[str] = ..., backend: _Optional[str] = ..., dimensions: _Optional[int] = ..., normalized: _Optional[bool] = ..., max_texts_per_request: _Optional[int] = ..., max_chars_per_text: _Optional[int] = ..., max_batch_size: _Optional[int] = ..., languages: _Optional[_Iterable[str]] = ...) -> None: ...
