"""Paged, chunked, batched forward == plain full-sequence reference forward (float32, CPU).

Tolerance: max |logit difference| < 1e-4 (logits have magnitude ~1 with these weights).
"""

from typing import Dict, List

import pytest
import torch

from schedbench_worker.executor import Decode, Executor, PrefillChunk
from schedbench_worker.model import PRESETS, LlamaWeights, WorkerError, attention, reference_forward

TOL = 1e-4


@pytest.fixture()
def executor() -> Executor:
    weights = LlamaWeights(PRESETS["tiny-llama"], torch.device("cpu"), torch.float32)
    weights.random_init(seed=1)
    # Small blocks so that chunks and decodes cross block boundaries.
    return Executor(weights, num_blocks=12, block_size=4)


class Checker:
    """Tracks each request's full token history and compares step logits with the reference."""

    def __init__(self, ex: Executor) -> None:
        self.ex = ex
        self.history: Dict[str, List[int]] = {}
        self.max_diff = 0.0

    def step(self, prefills: List[PrefillChunk], decodes: List[Decode]) -> None:
        out = self.ex.step(prefills, decodes, return_logits=True)
        assert out.logits is not None
        items = [(p.rid, p.token_ids) for p in prefills] + [(d.rid, [d.token_id]) for d in decodes]
        for (rid, toks), logits, nxt, kv_len in zip(items, out.logits, out.next_tokens, out.kv_lens):
            hist = self.history.setdefault(rid, [])
            hist.extend(toks)
            assert kv_len == len(hist)
            ref = reference_forward(self.ex.weights, torch.tensor(hist))[-len(toks):]
            assert logits.shape == ref.shape
            diff = (logits - ref).abs().max().item()
            self.max_diff = max(self.max_diff, diff)
            assert diff < TOL, f"request {rid}: max abs logit diff {diff}"
            top2 = ref[-1].topk(2).values
            if (top2[0] - top2[1]).item() > 10 * TOL:
                assert nxt == int(ref[-1].argmax())


def toks(seed: int, n: int) -> List[int]:
    return torch.randint(0, 1000, (n,), generator=torch.Generator().manual_seed(seed)).tolist()


def test_mixed_batches_match_reference_across_iterations_and_block_reuse(executor: Executor) -> None:
    c = Checker(executor)
    a, b, cc = toks(1, 11), toks(2, 6), toks(3, 9)
    c.step([PrefillChunk("B", b, 0)], [])  # B prefilled in one chunk
    c.step([PrefillChunk("A", a[:5], 0)], [Decode("B", 17)])  # A chunk 1 while B decodes
    c.step([PrefillChunk("A", a[5:], 5)], [Decode("B", 3)])  # A chunk 2 attends to its cache
    c.step([], [Decode("A", 42), Decode("B", 999)])  # two decodes
    c.step([], [Decode("B", 0), Decode("A", 5)])
    b_blocks = set(executor.block_table("B"))
    free_before = executor.free_block_count
    assert executor.free("B") == len(b_blocks)
    assert executor.free_block_count == free_before + len(b_blocks)
    # New request C reuses B's freed blocks (stale contents must not leak into attention).
    c.step([PrefillChunk("C", cc[:4], 0)], [Decode("A", 7)])
    assert set(executor.block_table("C")) & b_blocks
    c.step([PrefillChunk("C", cc[4:], 4)], [Decode("A", 8)])
    c.step([], [Decode("C", 1), Decode("A", 2)])
    c.step([PrefillChunk("D", toks(4, 3), 0), PrefillChunk("E", toks(5, 2), 0)], [Decode("C", 11)])
    assert c.max_diff < TOL


def test_out_of_blocks_is_an_error_and_changes_nothing(executor: Executor) -> None:
    executor.step([PrefillChunk("A", toks(1, 40), 0)], [])  # 10 of 12 blocks
    free = executor.free_block_count
    with pytest.raises(WorkerError, match="out of KV blocks"):
        executor.step([PrefillChunk("B", toks(2, 9), 0)], [Decode("A", 1)])
    assert executor.free_block_count == free
    assert "B" not in executor.requests
    assert executor.requests["A"].length == 40
    executor.free("A")
    assert executor.free_block_count == 12


@pytest.mark.parametrize(
    "prefills, decodes, match",
    [
        ([], [], "empty batch"),
        ([], [Decode("nobody", 1)], "unknown request id"),
        ([PrefillChunk("X", [1], 3)], [], "must start at 0"),
        ([PrefillChunk("X", [1, 2], 0), PrefillChunk("X", [3], 2)], [], "twice"),
        ([PrefillChunk("X", [1000], 0)], [], "outside vocabulary"),
        ([PrefillChunk("X", [], 0)], [], "no tokens"),
    ],
)
def test_bad_batches_raise(executor: Executor, prefills: list, decodes: list, match: str) -> None:
    with pytest.raises(WorkerError, match=match):
        executor.step(prefills, decodes)
    assert executor.free_block_count == 12 and not executor.requests


def test_chunk_start_must_equal_cached_length(executor: Executor) -> None:
    executor.step([PrefillChunk("A", [1, 2, 3], 0)], [])
    with pytest.raises(WorkerError, match="3 tokens are cached"):
        executor.step([PrefillChunk("A", [4], 2)], [])


def test_grouped_query_attention_matches_per_head_softmax() -> None:
    g = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(3, 4, 8, generator=g), torch.randn(5, 2, 8, generator=g), torch.randn(5, 2, 8, generator=g)
    qpos = torch.tensor([2, 3, 4])
    out = attention(q, k, v, qpos, use_sdpa=False).view(3, 4, 8)
    for i, p in enumerate(qpos.tolist()):
        for h in range(4):
            kv = h // 2  # query heads 0,1 share KV head 0; 2,3 share KV head 1
            w = torch.softmax(k[: p + 1, kv] @ q[i, h] / 8 ** 0.5, dim=0)
            assert torch.allclose(out[i, h], w @ v[: p + 1, kv], atol=1e-6)
