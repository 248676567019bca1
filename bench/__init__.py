"""Benchmark of 知財フロント: ingest throughput, retrieval latency at scale, hybrid vs the naive LangChain baseline.

Run with ``python -m bench`` (``make bench``); ``--quick`` for a smaller run. Results go to ``bench/results/``.
"""
