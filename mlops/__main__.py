"""``python -m mlops <command>``: the offline pipeline's command line."""

from mlops.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
