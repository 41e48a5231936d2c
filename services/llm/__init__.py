"""The llm service: language detection, translation, recipe Q&A, meal analysis and persisted chat.

Two backends sit behind one interface (:mod:`services.llm.backends`): ``openai`` (any
OpenAI-compatible server) and ``local`` (deterministic, offline). :mod:`services.llm.router`
owns retry, fallback, cooldown, deadlines and the response cache; :mod:`services.llm.store`
persists conversations in SQLite or PostgreSQL.
"""
