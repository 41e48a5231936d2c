"""``python -m services.embeddings``: run the embeddings service."""

from services.common.config import load_settings
from services.common.server import run_service
from services.embeddings.config import EmbeddingsSettings
from services.embeddings.service import EmbeddingsService


def main() -> int:
    settings = load_settings(EmbeddingsSettings)
    return run_service(EmbeddingsService(settings), settings)


if __name__ == "__main__":
    raise SystemExit(main())
