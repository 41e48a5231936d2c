"""Benchmarks. Each ``bench/bench_*.py`` exposes ``main(quick: bool) -> dict`` and prints its
figures beside a baseline measured in the same run. Run all with ``python -m bench [--quick]``
or one with ``python -m bench.bench_embeddings --quick``."""
