"""Shared pytest configuration: asyncio, temp dirs and service processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"

# Tests never reach a real provider: an accidental default would fail loudly, not bill.
os.environ.setdefault("OPENAI_API_KEY", "test-key-not-real")


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def shared_datasets() -> Path:
    """The real public datasets beside the repo; skip (saying why) when they are absent."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip(f"real datasets not present at {SHARED_DATASETS} (they live outside the repo)")
    return SHARED_DATASETS
