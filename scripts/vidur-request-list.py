#!/usr/bin/env python3
"""Rebuild the request list Microsoft Vidur (commit 7d47513) simulates for a synthetic workload
with a trace length generator and a Poisson interval generator, and write it as a CSV trace with
Vidur's columns `arrived_at,num_prefill_tokens,num_decode_tokens` (seconds, tokens).

This is our own re-implementation of the steps, written from reading Vidur's
`vidur/request_generator/{synthetic_request_generator, trace_request_length_generator,
poisson_request_interval_generator}.py`, `vidur/utils/random.py` and `vidur/config/config.py`;
no Vidur code is copied. The steps and random streams, in Vidur's order:

1. Length table (at construction of the length generator): read the trace CSV; multiply
   `num_prefill_tokens` / `num_decode_tokens` by the prefill / decode scale factors (default 1)
   and truncate to integers; where prefill + decode exceeds `max_tokens`, take the excess off both,
   each by ceil(excess x its share of the total); clamp both to at least 1.
2. Row order: the whole table shuffled by pandas `DataFrame.sample(frac=1,
   random_state=seed)`, which is `numpy.random.RandomState(seed).choice(R, R, replace=False)`, i.e.
   `RandomState(seed).permutation(R)`. This stream is private to the shuffle.
3. `generate_requests` calls `set_seeds(seed)`: `random.seed(seed)` (Python's Mersenne Twister),
   `np.random.seed(seed)`. Only Python's `random` is used afterwards.
4. For each of the N requests: gap = -log(1 - random.random()) / qps, clipped to 3 / qps
   (`max_interval = (1 / qps) * 3`); arrived_at = previous arrived_at + gap, starting from 0, so the
   first request arrives one gap after 0; its lengths are the next row of the shuffled table.
5. Requests sorted by arrival (already in order).

Usage (the reference list of docs/fidelity.md):
  python3 scripts/vidur-request-list.py \
    --trace data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv \
    --seed 42 --qps 1 --num-requests 2000 --max-tokens 4096 \
    --out data/generated/vidur-arxiv-poisson-qps1-seed42-n2000.csv
"""
import argparse
import csv
import math
import random

import numpy as np


def length_table(path, max_tokens, prefill_scale, decode_scale):
    prefill, decode = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            prefill.append(int(row["num_prefill_tokens"]))
            decode.append(int(row["num_decode_tokens"]))
    p = (np.array(prefill, dtype=np.int64) * prefill_scale).astype(np.int64)
    d = (np.array(decode, dtype=np.int64) * decode_scale).astype(np.int64)
    total = p + d
    excess = np.clip(total - max_tokens, 0, None)
    p_share = p / total
    d_share = d / total
    p = p - np.ceil(excess * p_share).astype(np.int64)
    d = d - np.ceil(excess * d_share).astype(np.int64)
    p = np.clip(p, 1, None)
    d = np.clip(d, 1, None)
    assert np.all(p + d <= max_tokens)
    return p, d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trace", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--qps", type=float, default=1.0)
    ap.add_argument("--num-requests", type=int, default=2000)
    ap.add_argument("--max-tokens", type=int, default=4096)
    ap.add_argument("--prefill-scale", type=float, default=1.0)
    ap.add_argument("--decode-scale", type=float, default=1.0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    p, d = length_table(args.trace, args.max_tokens, args.prefill_scale, args.decode_scale)
    order = np.random.RandomState(args.seed).permutation(len(p))

    random.seed(args.seed)
    np.random.seed(args.seed)  # as set_seeds does; no draw below uses it
    max_interval = (1.0 / args.qps) * 3.0
    requests = []
    now = 0.0
    for i in range(args.num_requests):
        if i >= len(order):  # the length generator runs out of rows
            break
        gap = -math.log(1.0 - random.random()) / args.qps
        gap = min(gap, max_interval)
        now = now + gap
        row = order[i]
        requests.append((now, int(p[row]), int(d[row])))
    requests.sort(key=lambda r: r[0])

    with open(args.out, "w", newline="") as f:
        f.write("arrived_at,num_prefill_tokens,num_decode_tokens\n")
        for at, prefill, decode in requests:
            f.write(f"{at!r},{prefill},{decode}\n")


if __name__ == "__main__":
    main()
