"""Decode-iteration timing of the executor on CPU: batch 1 vs batch 64 at KV length ~128.

Usage: python3 worker/bench/decode_batch.py [WORKER_DIR]   (default: this checkout's worker/)
Prints the median of 20 steps per batch size and t(64) / (64 * t(1)).
"""

import os
import statistics
import sys

WORKER_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, WORKER_DIR)

import torch  # noqa: E402

from schedbench_worker.executor import Decode, Executor  # noqa: E402
from schedbench_worker.model import PRESETS, LlamaWeights  # noqa: E402

THREADS = int(os.environ.get("BENCH_THREADS", "1"))
torch.set_num_threads(THREADS)
KV, STEPS, BS = 128, 20, 16


def median_step(batch: int) -> float:
    w = LlamaWeights(PRESETS["tiny-llama"], torch.device("cpu"), torch.float32)
    w.random_init(seed=0)
    ex = Executor(w, num_blocks=batch * -(-(KV + STEPS + 3) // BS), block_size=BS)
    for r in range(batch):
        ex.reserve(r, KV)
    times = []
    for s in range(STEPS + 3):
        out = ex.step([], [Decode(r, (r + s) % 1000) for r in range(batch)])
        times.append(out.time_s)
    return statistics.median(times[3:])


t1, t64 = median_step(1), median_step(64)
print(f"worker={WORKER_DIR} threads={THREADS} t(1)={t1*1e3:.3f} ms t(64)={t64*1e3:.3f} ms "
      f"ratio t(64)/(64*t(1))={t64/(64*t1):.3f}")
