"""Roofline measurements of the worker's device: memory copy bandwidth and matrix-multiply rate.

They give the floors a batch's measured time is compared with (``bench/gpu-report.ts``): a decode
iteration cannot be faster than reading the weights (and the KV cache) at the copy bandwidth,
and a prefill cannot run faster than its dense FLOPs at the matrix-multiply rate.

- Copy bandwidth: ``dst.copy_(src)`` of a ``copy_bytes`` buffer; each copy reads and writes the
  buffer, so the bandwidth counts ``2 x bytes / time`` (the convention of STREAM's ``Copy`` and of
  ``nvbandwidth``'s device-local copy).
- Matrix-multiply rate: ``torch.matmul`` of two ``n x n`` matrices in the dtype, ``2 n^3`` FLOPs
  per product (one multiply and one add per inner-product term).

Each measurement runs once untimed (allocation, kernel selection, first-touch page faults), then
``repeats`` timed times with :class:`executor.Timer` (CUDA events on a GPU, ``time.perf_counter``
on CPU); the rate is computed from the median time. Buffers are released afterwards (and the
CUDA caching allocator emptied), so a later ``load`` with ``kv_blocks: "auto"`` sees the memory.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Callable, List

import torch

from .executor import Timer
from .model import WorkerError

CUDA_COPY_BYTES = 1 << 30
"""Default copy buffer on CUDA: 1 GiB (far beyond any L2 cache)."""
CPU_COPY_BYTES = 64 << 20
"""Default copy buffer on CPU: 64 MiB (beyond the last-level cache of common server CPUs)."""
CUDA_MATMUL_N = 8192
"""Default matrix size on CUDA: 8192 x 8192 (large enough to saturate tensor cores)."""
CPU_MATMUL_N = 512
"""Default matrix size on CPU: 512 x 512 (about 0.27 GFLOP per product; quick in tests)."""
DEFAULT_REPEATS = 5
"""Timed runs of each measurement by default; the median is reported."""


@dataclass
class RooflineResult:
    """Measured rates of one device and dtype.

    ``copy_bytes`` is the buffer actually copied (rounded down to whole elements), bytes;
    ``copy_bytes_per_s`` = 2 x copy_bytes / median copy time (read + write), bytes per second;
    ``matmul_flops_per_s`` = 2 n^3 / median product time, FLOP per second; ``*_times_s`` are the
    timed runs in seconds.
    """

    copy_bytes: int
    copy_bytes_per_s: float
    copy_times_s: List[float]
    matmul_n: int
    matmul_flops_per_s: float
    matmul_times_s: List[float]


def default_copy_bytes(device: torch.device) -> int:
    """The copy buffer size used when the request gives none, bytes."""
    return CUDA_COPY_BYTES if device.type == "cuda" else CPU_COPY_BYTES


def default_matmul_n(device: torch.device) -> int:
    """The matrix size used when the request gives none."""
    return CUDA_MATMUL_N if device.type == "cuda" else CPU_MATMUL_N


def _timed(device: torch.device, run: Callable[[], object], repeats: int) -> List[float]:
    """Run ``run`` once untimed, then ``repeats`` timed times; returns the times in seconds."""
    run()
    timer = Timer(device)
    times: List[float] = []
    for _ in range(repeats):
        timer.start()
        run()
        times.append(timer.stop())
    return times


def measure_roofline(
    device: torch.device, dtype: torch.dtype, copy_bytes: int, matmul_n: int, repeats: int
) -> RooflineResult:
    """Measure the copy bandwidth and the matrix-multiply rate of ``device`` in ``dtype``.

    Raises :class:`WorkerError` when ``copy_bytes`` is below one element, ``matmul_n`` or
    ``repeats`` is not positive, or a timed run took no measurable time; torch raises when memory
    is short (e.g. ``torch.cuda.OutOfMemoryError``), after which the buffers are released.
    """
    elem = torch.tensor([], dtype=dtype).element_size()
    if copy_bytes < elem:
        raise WorkerError(f"copy_bytes must be at least one {dtype} element ({elem} bytes), got {copy_bytes}")
    if matmul_n <= 0 or repeats <= 0:
        raise WorkerError("matmul_n and repeats must be positive")
    numel = copy_bytes // elem
    try:
        src = torch.ones(numel, dtype=dtype, device=device)
        dst = torch.empty_like(src)
        copy_times = _timed(device, lambda: dst.copy_(src), repeats)
        del src, dst
        gen = torch.Generator(device=device).manual_seed(0)
        a = torch.randn(matmul_n, matmul_n, generator=gen, device=device, dtype=torch.float32).to(dtype)
        b = torch.randn(matmul_n, matmul_n, generator=gen, device=device, dtype=torch.float32).to(dtype)
        out = torch.empty(matmul_n, matmul_n, dtype=dtype, device=device)
        matmul_times = _timed(device, lambda: torch.matmul(a, b, out=out), repeats)
        del a, b, out
    finally:
        if device.type == "cuda":
            torch.cuda.empty_cache()
    copy_s = statistics.median(copy_times)
    matmul_s = statistics.median(matmul_times)
    if copy_s <= 0 or matmul_s <= 0:
        raise WorkerError("a roofline measurement took no measurable time: raise copy_bytes or matmul_n")
    return RooflineResult(
        copy_bytes=numel * elem,
        copy_bytes_per_s=2 * numel * elem / copy_s,
        copy_times_s=copy_times,
        matmul_n=matmul_n,
        matmul_flops_per_s=2 * matmul_n**3 / matmul_s,
        matmul_times_s=matmul_times,
    )
