"""The offline pipeline: ingest, build, evaluate, version, retrain, monitor (``python -m mlops``).

Each command is a function in its own module; ``mlops.cli`` only parses arguments. Everything
a command produces lands under the artifacts directory (``ARTIFACTS_DIR``, default
``artifacts/``) and is logged to MLflow (``MLFLOW_TRACKING_URI``).
"""
