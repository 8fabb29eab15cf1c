"""JSON-lines protocol server (protocol version 1; see ``docs/worker-protocol.md``).

Reads one JSON object per line on stdin, writes one JSON object per line on stdout, and exits
when stdin closes or after ``shutdown``. Every reply echoes the request's ``id`` when one was
sent. Request errors come back as ``{"type": "error", "reason": ...}`` and the loop continues.
Only protocol messages go to stdout; diagnostics go to stderr.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from dataclasses import asdict
from typing import Any, Callable, Dict, List, Optional, TextIO

import torch

from . import PROTOCOL_VERSION
from .executor import Decode, Executor, PrefillChunk
from .model import PRESETS, LlamaConfig, LlamaWeights, WorkerError, load_checkpoint_config
from .roofline import DEFAULT_REPEATS, default_copy_bytes, default_matmul_n, measure_roofline

Message = Dict[str, Any]

DTYPES: Dict[str, torch.dtype] = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}
CPU_DTYPES = ["float32"]
CUDA_DTYPES = ["float16", "bfloat16", "float32"]
CPU_AUTO_KV_BLOCKS = 1024
"""KV blocks allocated for ``kv_blocks: "auto"`` on CPU."""
CUDA_AUTO_KV_FRACTION = 0.9
"""Fraction of free GPU memory (after weights) given to the KV cache for ``kv_blocks: "auto"``."""


def default_device() -> str:
    """``"cuda"`` when a CUDA device is visible, else ``"cpu"``."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def _field(msg: Message, name: str, kind: Any, default: Any = ...) -> Any:
    """Return ``msg[name]`` checked against ``kind`` (a type or tuple of types).

    Raises :class:`WorkerError` when the field is missing (and no default) or mistyped.
    Booleans are not accepted as integers.
    """
    if name not in msg:
        if default is ...:
            raise WorkerError(f"missing field {name!r}")
        return default
    value = msg[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        names = "/".join(k.__name__ for k in kinds)
        raise WorkerError(f"field {name!r} must be {names}, got {json.dumps(value)}")
    return value


def _int_list(value: Any, what: str) -> List[int]:
    """Check ``value`` is a list of integers. Raises :class:`WorkerError` otherwise."""
    if not isinstance(value, list) or any(isinstance(t, bool) or not isinstance(t, int) for t in value):
        raise WorkerError(f"{what} must be a list of integers")
    return value


class Worker:
    """Protocol state: at most one loaded model (an :class:`Executor`)."""

    def __init__(self) -> None:
        self.executor: Optional[Executor] = None
        self.model_name: Optional[str] = None
        self.running = True
        self.handlers: Dict[str, Callable[[Message], Message]] = {
            "hello": self.hello,
            "load": self.load,
            "step": self.step,
            "free": self.free,
            "profile": self.profile,
            "roofline": self.roofline,
            "shutdown": self.shutdown,
        }

    # -- dispatch -----------------------------------------------------------------------------

    def handle_line(self, line: str) -> Optional[Message]:
        """Parse and handle one input line; returns the reply (None for a blank line)."""
        if not line.strip():
            return None
        try:
            msg = json.loads(line)
        except ValueError as exc:
            return {"type": "error", "reason": f"malformed JSON: {exc}"}
        if not isinstance(msg, dict):
            return {"type": "error", "reason": "a message must be a JSON object"}
        return self.handle(msg)

    def handle(self, msg: Message) -> Message:
        """Handle one decoded message; never raises (errors become ``error`` replies)."""
        reply: Message
        kind = msg.get("type")
        try:
            if not isinstance(kind, str):
                raise WorkerError("missing field 'type'")
            handler = self.handlers.get(kind)
            if handler is None:
                raise WorkerError(f"unknown message type {kind!r}; known: {', '.join(self.handlers)}")
            reply = handler(msg)
        except WorkerError as exc:
            reply = {"type": "error", "reason": str(exc)}
        except Exception as exc:  # noqa: BLE001 - any failure must become a reply, not a crash
            reply = {"type": "error", "reason": f"{type(exc).__name__}: {exc}"}
        if isinstance(kind, str) and reply["type"] == "error":
            reply["request_type"] = kind
        if "id" in msg:
            reply["id"] = msg["id"]
        return reply

    def _require_model(self) -> Executor:
        if self.executor is None:
            raise WorkerError("no model loaded: send 'load' first")
        return self.executor

    # -- messages -----------------------------------------------------------------------------

    def hello(self, msg: Message) -> Message:
        """Versions, device and supported dtypes."""
        cuda = torch.cuda.is_available()
        gpu_name: Optional[str] = None
        gpu_mem: Optional[int] = None
        if cuda:
            props = torch.cuda.get_device_properties(0)
            gpu_name, gpu_mem = props.name, int(props.total_memory)
        return {
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "python": platform.python_version(),
            "torch": torch.__version__,
            "device": default_device(),
            "gpu_name": gpu_name,
            "gpu_memory_bytes": gpu_mem,
            "dtypes": CUDA_DTYPES if cuda else CPU_DTYPES,
            "sdpa": hasattr(torch.nn.functional, "scaled_dot_product_attention"),
            "presets": sorted(PRESETS),
        }

    def load(self, msg: Message) -> Message:
        """Load a preset or checkpoint, initialise weights, preallocate the KV cache."""
        model = _field(msg, "model", str)
        device_name = _device_field(msg, default_device())
        dtype_name = _dtype_field(msg, device_name, None)
        block_size = _field(msg, "block_size", int, 16)
        kv_blocks = _field(msg, "kv_blocks", (int, str))
        seed = _field(msg, "seed", int, 0)
        use_weights = _field(msg, "weights", bool, True)
        if block_size <= 0:
            raise WorkerError("block_size must be positive")
        if isinstance(kv_blocks, str) and kv_blocks != "auto":
            raise WorkerError("kv_blocks must be a positive integer or 'auto'")
        if isinstance(kv_blocks, int) and kv_blocks <= 0:
            raise WorkerError("kv_blocks must be a positive integer or 'auto'")

        checkpoint: Optional[str] = None
        if model in PRESETS:
            cfg: LlamaConfig = PRESETS[model]
        elif "/" in model or model.startswith("."):
            checkpoint = model
            cfg = load_checkpoint_config(model)
        else:
            raise WorkerError(f"unknown model {model!r}: a preset ({', '.join(sorted(PRESETS))}) or a checkpoint directory path")

        # Drop any previous model before allocating the next one.
        self.executor = None
        self.model_name = None
        if device_name == "cuda":
            torch.cuda.empty_cache()
        device = torch.device(device_name)
        dtype = DTYPES[dtype_name]
        weights = LlamaWeights(cfg, device, dtype)
        weights_source = "random"
        has_files = checkpoint is not None and any(
            f.endswith(".safetensors") for f in _listdir(checkpoint)
        )
        if checkpoint is not None and use_weights and has_files:
            n = weights.load_safetensors(checkpoint)
            weights_source = f"safetensors ({n} files)"
        else:
            weights.random_init(seed)
        weights.eval()

        block_bytes = Executor.block_bytes(cfg, block_size, dtype)
        if kv_blocks == "auto":
            if device_name == "cuda":
                free, _ = torch.cuda.mem_get_info()
                kv_blocks = int(free * CUDA_AUTO_KV_FRACTION) // block_bytes
            else:
                kv_blocks = CPU_AUTO_KV_BLOCKS
            if kv_blocks <= 0:
                raise WorkerError("no memory left for the KV cache")
        self.executor = Executor(weights, int(kv_blocks), block_size)
        self.model_name = model
        return {
            "type": "loaded",
            "model": model,
            "weights": weights_source,
            "device": device_name,
            "dtype": dtype_name,
            "parameters": cfg.parameter_count(),
            "config": {**cfg.__dict__, "head_dim": cfg.head_dim},
            "kv_blocks": int(kv_blocks),
            "block_size": block_size,
            "kv_block_bytes": block_bytes,
        }

    def step(self, msg: Message) -> Message:
        """Run one batch; reply with the measured time and one next token per item."""
        ex = self._require_model()
        prefills = [_prefill(p) for p in _list(msg, "prefill")]
        decodes = [_decode(d) for d in _list(msg, "decode")]
        out = ex.step(prefills, decodes)
        ids = [p.rid for p in prefills] + [d.rid for d in decodes]
        return {
            "type": "step_result",
            "time_s": out.time_s,
            "results": [
                {"id": rid, "token_id": tok, "kv_len": n}
                for rid, tok, n in zip(ids, out.next_tokens, out.kv_lens)
            ],
            "free_blocks": ex.free_block_count,
        }

    def free(self, msg: Message) -> Message:
        """Release one request's KV blocks."""
        ex = self._require_model()
        rid = _field(msg, "request_id", (str, int))
        freed = ex.free(rid)
        return {"type": "freed", "request_id": rid, "blocks": freed, "free_blocks": ex.free_block_count}

    def profile(self, msg: Message) -> Message:
        """Time a grid of synthetic batch shapes using only currently free KV blocks.

        Each shape runs ``warmup`` untimed and ``repeats`` timed iterations, each on fresh
        synthetic requests (decodes get ``decode_kv_len`` cached tokens of arbitrary content,
        prefill chunks start at position 0) that are freed afterwards.
        """
        ex = self._require_model()
        shapes = _field(msg, "shapes", list)
        repeats = _field(msg, "repeats", int, 3)
        warmup = _field(msg, "warmup", int, 1)
        if repeats <= 0 or warmup < 0:
            raise WorkerError("repeats must be positive and warmup non-negative")
        gen = torch.Generator().manual_seed(0)
        results = []
        for i, shape in enumerate(shapes):
            if not isinstance(shape, dict):
                raise WorkerError(f"shapes[{i}] must be an object")
            chunks = _int_list(_field(shape, "prefill", list, []), f"shapes[{i}].prefill")
            n_dec = _field(shape, "decodes", int, 0)
            kv_len = _field(shape, "decode_kv_len", int, 0)
            if any(c <= 0 for c in chunks) or n_dec < 0 or kv_len < 0 or (n_dec and kv_len <= 0):
                raise WorkerError(f"shapes[{i}]: chunk sizes and decode_kv_len must be positive")
            times: List[float] = []
            for r in range(warmup + repeats):
                rids: List[Any] = []
                try:
                    prefills = []
                    for c, size in enumerate(chunks):
                        rid = f"__profile_p{c}"
                        toks = torch.randint(0, ex.cfg.vocab_size, (size,), generator=gen).tolist()
                        prefills.append(PrefillChunk(rid, toks, 0))
                        rids.append(rid)
                    decodes = []
                    for d in range(n_dec):
                        rid = f"__profile_d{d}"
                        ex.reserve(rid, kv_len)
                        rids.append(rid)
                        decodes.append(Decode(rid, int(torch.randint(0, ex.cfg.vocab_size, (1,), generator=gen))))
                    out = ex.step(prefills, decodes)
                finally:
                    for rid in rids:
                        if rid in ex.requests:
                            ex.free(rid)
                if r >= warmup:
                    times.append(out.time_s)
            results.append(
                {
                    "prefill": chunks,
                    "decodes": n_dec,
                    "decode_kv_len": kv_len,
                    "times_s": times,
                    "median_s": statistics.median(times),
                }
            )
        return {"type": "profile_result", "results": results}

    def roofline(self, msg: Message) -> Message:
        """Measure the device's copy bandwidth and matrix-multiply rate (see :mod:`roofline`).

        Device and dtype default to the loaded model's, else to ``hello``'s device and its default
        dtype. A loaded model and its requests are untouched.
        """
        ex = self.executor
        device_name = _device_field(msg, ex.device.type if ex is not None else default_device())
        model_dtype = None
        if ex is not None and ex.device.type == device_name:
            model_dtype = next(name for name, dt in DTYPES.items() if dt == ex.dtype)
        dtype_name = _dtype_field(msg, device_name, model_dtype)
        device = torch.device(device_name)
        copy_bytes = _field(msg, "copy_bytes", int, default_copy_bytes(device))
        matmul_n = _field(msg, "matmul_n", int, default_matmul_n(device))
        repeats = _field(msg, "repeats", int, DEFAULT_REPEATS)
        if copy_bytes <= 0 or matmul_n <= 0 or repeats <= 0:
            raise WorkerError("copy_bytes, matmul_n and repeats must be positive")
        result = measure_roofline(device, DTYPES[dtype_name], copy_bytes, matmul_n, repeats)
        return {"type": "roofline", "device": device_name, "dtype": dtype_name, "repeats": repeats, **asdict(result)}

    def shutdown(self, msg: Message) -> Message:
        """Acknowledge and stop after this reply."""
        self.running = False
        return {"type": "bye"}


def _device_field(msg: Message, default: str) -> str:
    """``msg["device"]`` (default ``default``): ``"cpu"``, or ``"cuda"`` when a CUDA device is visible.

    Raises :class:`WorkerError` otherwise.
    """
    device_name = _field(msg, "device", str, default)
    if device_name not in ("cpu", "cuda"):
        raise WorkerError(f"device must be 'cpu' or 'cuda', got {device_name!r}")
    if device_name == "cuda" and not torch.cuda.is_available():
        raise WorkerError("device 'cuda' requested but no CUDA device is available")
    return device_name


def _dtype_field(msg: Message, device_name: str, default: Optional[str]) -> str:
    """``msg["dtype"]``, one of the dtypes supported on ``device_name``.

    The default is ``default`` when given, else float16 on CUDA and float32 on CPU. Raises
    :class:`WorkerError` for a dtype the device does not support.
    """
    if default is None:
        default = "float16" if device_name == "cuda" else "float32"
    allowed = CUDA_DTYPES if device_name == "cuda" else CPU_DTYPES
    dtype_name = _field(msg, "dtype", str, default)
    if dtype_name not in allowed:
        raise WorkerError(f"dtype {dtype_name!r} not supported on {device_name}; supported: {', '.join(allowed)}")
    return dtype_name


def _listdir(path: str) -> List[str]:
    """Entries of checkpoint directory ``path``. Raises :class:`WorkerError` if unreadable."""
    try:
        return os.listdir(path)
    except OSError as exc:
        raise WorkerError(f"cannot read checkpoint directory {path!r}: {exc}") from exc


def _list(msg: Message, name: str) -> List[Any]:
    """``msg[name]`` (default ``[]``) checked to be a list of objects."""
    value = _field(msg, name, list, [])
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise WorkerError(f"{name}[{i}] must be an object")
    return value


def _prefill(item: Message) -> PrefillChunk:
    """Parse ``{"id", "token_ids", "start"}``; raises :class:`WorkerError` on a bad field."""
    rid = _field(item, "id", (str, int))
    toks = _int_list(_field(item, "token_ids", list), f"token_ids of request {rid!r}")
    start = _field(item, "start", int)
    return PrefillChunk(rid, toks, start)


def _decode(item: Message) -> Decode:
    """Parse ``{"id", "token_id"}``; raises :class:`WorkerError` on a bad field."""
    return Decode(_field(item, "id", (str, int)), _field(item, "token_id", int))


def serve(stdin: TextIO, stdout: TextIO) -> None:
    """Serve until ``stdin`` closes or a ``shutdown`` message arrives."""
    worker = Worker()
    for line in stdin:
        reply = worker.handle_line(line)
        if reply is not None:
            stdout.write(json.dumps(reply) + "\n")
            stdout.flush()
        if not worker.running:
            break


def main(argv: Optional[List[str]] = None) -> int:
    """Process entry point. Returns the exit status (0)."""
    # Keep stdout for protocol messages only: anything else printed goes to stderr.
    out = sys.stdout
    sys.stdout = sys.stderr
    try:
        serve(sys.stdin, out)
    except KeyboardInterrupt:
        pass
    finally:
        sys.stdout = out
    return 0
