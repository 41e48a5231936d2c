"""``python -m services.llm``: run the llm service."""

from services.common.config import load_settings
from services.common.server import run_service
from services.llm.config import LlmSettings
from services.llm.service import LlmService


def main() -> int:
    settings = load_settings(LlmSettings)
    return run_service(LlmService(settings), settings)


if __name__ == "__main__":
    raise SystemExit(main())
