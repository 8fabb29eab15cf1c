"""Batched paged attention: one attention computation per layer for a whole mixed batch.

Compares the executor's batched forward with the plain full-sequence reference forward
(float32, max |logit difference| < 1e-4), and the batched attention kernel and the rotary
cache with their per-request / per-call counterparts.
"""

from typing import List

import torch

from schedbench_worker.executor import Decode, Executor, PrefillChunk
from schedbench_worker.model import (
    PRESETS,
    LlamaWeights,
    RopeCache,
    attention,
    batched_attention,
    rotary,
)

from test_executor import TOL, Checker, toks


def make_executor(num_blocks: int, block_size: int) -> Executor:
    weights = LlamaWeights(PRESETS["tiny-llama"], torch.device("cpu"), torch.float32)
    weights.random_init(seed=3)
    return Executor(weights, num_blocks=num_blocks, block_size=block_size)


def test_many_requests_of_different_lengths_match_reference() -> None:
    ex = make_executor(num_blocks=64, block_size=4)
    c = Checker(ex)
    p = {name: toks(10 + i, n) for i, (name, n) in enumerate([("A", 23), ("B", 1), ("C", 9), ("D", 14), ("E", 5)])}
    # Prefill chunks of different sizes, several per step, crossing block boundaries.
    c.step([PrefillChunk("A", p["A"][:7], 0), PrefillChunk("B", p["B"], 0), PrefillChunk("C", p["C"][:3], 0)], [])
    c.step([PrefillChunk("A", p["A"][7:18], 7), PrefillChunk("C", p["C"][3:], 3)], [Decode("B", 4)])
    c.step([PrefillChunk("D", p["D"], 0), PrefillChunk("A", p["A"][18:], 18)], [Decode("B", 5), Decode("C", 6)])
    for s in range(3):  # decode-only batches with KV lengths from 3 to 26
        c.step([], [Decode(r, 100 * s + i) for i, r in enumerate(["A", "B", "C", "D"])])
    freed = set(ex.block_table("A")) | set(ex.block_table("C"))
    ex.free("A")
    ex.free("C")
    # New requests reuse the freed blocks next to long-lived ones.
    c.step([PrefillChunk("E", p["E"], 0), PrefillChunk("F", toks(20, 13), 0)], [Decode("D", 7), Decode("B", 8)])
    assert (set(ex.block_table("E")) | set(ex.block_table("F"))) & freed
    c.step([PrefillChunk("G", toks(21, 2), 0)], [Decode("E", 9), Decode("F", 10), Decode("B", 11), Decode("D", 12)])
    c.step([], [Decode(r, 13) for r in ["G", "F", "E", "D", "B"]])
    assert c.max_diff < TOL


def test_single_request_and_block_size_one() -> None:
    ex = make_executor(num_blocks=40, block_size=1)
    c = Checker(ex)
    c.step([PrefillChunk("A", toks(1, 6), 0)], [])
    c.step([PrefillChunk("B", toks(2, 3), 0)], [Decode("A", 1)])
    c.step([], [Decode("B", 2), Decode("A", 3)])
    assert c.max_diff < TOL


def pad_batch(lens_q: List[int], starts: List[int], g: torch.Generator):
    """Random per-request q/k/v plus their padded batched form (padding filled with garbage)."""
    h, kvh, dh = 4, 2, 8
    b, max_q = len(lens_q), max(lens_q)
    kv_lens = [s + n for s, n in zip(starts, lens_q)]
    max_kv = max(kv_lens)
    qs = [torch.randn(n, h, dh, generator=g) for n in lens_q]
    ks = [torch.randn(L, kvh, dh, generator=g) for L in kv_lens]
    vs = [torch.randn(L, kvh, dh, generator=g) for L in kv_lens]
    qp = torch.full((b, max_q, h, dh), 1e3)
    kp = torch.full((b, kvh, max_kv, dh), 1e3)
    vp = torch.full((b, kvh, max_kv, dh), -1e3)
    for i in range(b):
        qp[i, : lens_q[i]] = qs[i]
        kp[i, :, : kv_lens[i]] = ks[i].transpose(0, 1)
        vp[i, :, : kv_lens[i]] = vs[i].transpose(0, 1)
    kv_pos = torch.arange(max_kv)
    q_pos = torch.tensor(starts)[:, None] + torch.arange(max_q)[None, :]
    allowed = (kv_pos[None, None, :] <= q_pos[:, :, None]) & (kv_pos[None, None, :] < torch.tensor(kv_lens)[:, None, None])
    return qs, ks, vs, qp, kp, vp, allowed


def test_batched_attention_equals_per_request_attention() -> None:
    g = torch.Generator().manual_seed(0)
    lens_q, starts = [3, 1, 5, 1, 2], [0, 7, 2, 0, 11]
    qs, ks, vs, qp, kp, vp, allowed = pad_batch(lens_q, starts, g)
    out = batched_attention(qp, kp, vp, allowed, use_sdpa=False)
    assert out.shape == (5, 5, 32)
    for i, (n, s) in enumerate(zip(lens_q, starts)):
        ref = attention(qs[i], ks[i], vs[i], torch.arange(s, s + n), use_sdpa=False)
        assert torch.allclose(out[i, :n], ref, atol=1e-5), f"request {i}"
    assert torch.isfinite(out).all()  # padding query rows stay finite too


def test_rope_cache_matches_rotary_and_grows() -> None:
    cfg = PRESETS["tiny-llama"]
    cache = RopeCache(cfg, torch.device("cpu"))
    assert cache.cos.shape == (cfg.max_position_embeddings, cfg.head_dim)
    x = torch.randn(4, 2, cfg.head_dim, generator=torch.Generator().manual_seed(1))
    pos = torch.tensor([0, 5, 2047, 3000])  # the last one is past max_position_embeddings
    cos, sin = cache.lookup(pos, 3000)
    assert cache.cos.shape[0] >= 3001
    from schedbench_worker.model import apply_rotary

    assert torch.allclose(apply_rotary(x, cos, sin), rotary(x, pos, cfg.rope_theta), atol=1e-5)
