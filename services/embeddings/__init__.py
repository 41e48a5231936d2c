"""Embeddings service: text to vectors behind recipes.embeddings.v1.EmbeddingsService."""
