"""Schedbench GPU worker: a JSON-lines process that executes a scheduler's batches on a
Llama-architecture model with a paged KV cache.

Run as ``python3 -m schedbench_worker`` (with ``worker/`` on ``PYTHONPATH``); see
``docs/worker-protocol.md`` for the protocol.
"""

PROTOCOL_VERSION: int = 1
"""Version of the JSON-lines protocol spoken by this worker (``protocol`` in ``hello``)."""

__all__ = ["PROTOCOL_VERSION"]
