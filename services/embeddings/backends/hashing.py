"""Dependency-light fallback: hashed word and character n-grams with TF weighting.

No model, no download: it captures lexical overlap, not meaning, and says so in its name.
Spanish and English share vectors only where they share words. Useful when the model
cannot be loaded and in fast tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from services.embeddings.backends.base import EmbeddingBackend, l2_normalize


class HashingBackend(EmbeddingBackend):
    name = "hashing"
    normalized = True

    def __init__(self, dimensions: int = 512) -> None:
        self.dimensions = dimensions
        self.model = f"hashing-tf-{dimensions}"
        common = {
            "n_features": dimensions,
            "alternate_sign": False,
            "norm": None,
            "lowercase": True,
            "strip_accents": "unicode",
        }
        self._words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), **common)  # type: ignore[arg-type]
        self._chars = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 4), **common)  # type: ignore[arg-type]

    def encode_sync(self, texts: Sequence[str]) -> np.ndarray:
        words = self._words.transform(texts)
        chars = self._chars.transform(texts)
        counts = (words * 2.0 + chars * 0.5).toarray().astype(np.float32)
        # Sublinear TF: repeated words count, but with diminishing weight.
        weighted = np.where(counts > 0, 1.0 + np.log1p(counts), 0.0).astype(np.float32)
        return l2_normalize(weighted)

    async def embed(self, texts: Sequence[str], input_type: int) -> np.ndarray:
        return self.encode_sync(texts)
