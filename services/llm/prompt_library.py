"""Versioned prompt files (``prompts/<version>/<name>.md``), loaded once and fingerprinted.

System prompts are static text: user text and data only ever travel in user messages. The
fingerprint (a hash of the file) goes into cache keys and golden files, so editing a prompt
invalidates cached answers and shows up in review as a golden diff.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
PROMPT_NAMES = ("translate", "answer_question", "parse_meal", "chat")


class PromptLibrary:
    def __init__(self, version: str, directory: Path = PROMPTS_DIR) -> None:
        base = directory / version
        if not base.is_dir():
            raise FileNotFoundError(f"prompt version {version!r} not found under {directory}")
        self.version = version
        self._texts = {name: (base / f"{name}.md").read_text(encoding="utf-8").strip() for name in PROMPT_NAMES}
        digest = hashlib.sha256()
        for name in PROMPT_NAMES:
            digest.update(name.encode() + b"\0" + self._texts[name].encode() + b"\0")
        self.fingerprint = f"{version}:{digest.hexdigest()[:12]}"

    def system(self, name: str) -> str:
        return self._texts[name]
