"""Paged-KV-cache executor: runs one mixed batch of prefill chunks and decodes per call.

The KV cache is preallocated: per layer one key and one value tensor of shape
``[num_blocks, block_size, K, Dh]``. Each request owns a block table (list of block indices);
token ``p`` of a request lives in slot ``p % block_size`` of block ``table[p // block_size]``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Dict, Hashable, List, Optional, Sequence

import torch

from .model import LlamaConfig, LlamaWeights, WorkerError, attention, rotary

RequestId = Hashable
"""A request id as sent by the client: a JSON string or integer."""


@dataclass
class PrefillChunk:
    """Prompt tokens ``token_ids`` of request ``rid`` at positions ``start .. start+len-1``."""

    rid: RequestId
    token_ids: List[int]
    start: int


@dataclass
class Decode:
    """One generated token ``token_id`` of request ``rid``, at the position after its cache."""

    rid: RequestId
    token_id: int


@dataclass
class StepOutput:
    """Result of :meth:`Executor.step`.

    ``next_tokens[i]`` is the greedy next token after batch item ``i`` (prefills first, then
    decodes, in request order); ``kv_lens[i]`` is that request's cached length after the step;
    ``time_s`` the measured iteration time in seconds; ``logits[i]`` (only when asked for) is
    ``[n_i, V]`` float32 for item ``i``'s tokens.
    """

    next_tokens: List[int]
    kv_lens: List[int]
    time_s: float
    logits: Optional[List[torch.Tensor]] = None


@dataclass
class _Request:
    blocks: List[int] = field(default_factory=list)
    length: int = 0


class Executor:
    """Owns the weights, the paged KV cache and the per-request block tables."""

    def __init__(self, weights: LlamaWeights, num_blocks: int, block_size: int) -> None:
        """Preallocate ``num_blocks`` blocks of ``block_size`` tokens for every layer.

        Raises :class:`WorkerError` for non-positive sizes; torch raises if memory is short.
        """
        if num_blocks <= 0 or block_size <= 0:
            raise WorkerError("kv_blocks and block_size must be positive")
        self.weights = weights
        self.cfg: LlamaConfig = weights.cfg
        self.num_blocks = num_blocks
        self.block_size = block_size
        emb = weights.model.embed_tokens.weight
        self.device: torch.device = emb.device
        self.dtype: torch.dtype = emb.dtype
        shape = (num_blocks, block_size, self.cfg.num_key_value_heads, self.cfg.head_dim)
        self.k_cache = [torch.zeros(shape, device=self.device, dtype=self.dtype) for _ in weights.model.layers]
        self.v_cache = [torch.zeros(shape, device=self.device, dtype=self.dtype) for _ in weights.model.layers]
        self._free_blocks: List[int] = list(range(num_blocks - 1, -1, -1))  # pop() gives 0 first
        self.requests: Dict[RequestId, _Request] = {}

    @staticmethod
    def block_bytes(cfg: LlamaConfig, block_size: int, dtype: torch.dtype) -> int:
        """Bytes one KV block takes over all layers (keys and values)."""
        elem = torch.tensor([], dtype=dtype).element_size()
        return 2 * cfg.num_hidden_layers * block_size * cfg.num_key_value_heads * cfg.head_dim * elem

    @property
    def free_block_count(self) -> int:
        """Blocks not owned by any request."""
        return len(self._free_blocks)

    def block_table(self, rid: RequestId) -> List[int]:
        """Copy of request ``rid``'s block table. Raises :class:`WorkerError` if unknown."""
        if rid not in self.requests:
            raise WorkerError(f"unknown request id {rid!r}")
        return list(self.requests[rid].blocks)

    def free(self, rid: RequestId) -> int:
        """Drop request ``rid`` and return its blocks to the pool; returns how many were freed.

        Raises :class:`WorkerError` if the request is unknown.
        """
        req = self.requests.pop(rid, None)
        if req is None:
            raise WorkerError(f"unknown request id {rid!r}")
        self._free_blocks.extend(reversed(req.blocks))
        return len(req.blocks)

    def reserve(self, rid: RequestId, length: int) -> None:
        """Create request ``rid`` with ``length`` cached tokens of unspecified content.

        Used by profiling, where iteration time does not depend on cache values. Raises
        :class:`WorkerError` if the id exists or blocks run out.
        """
        if rid in self.requests:
            raise WorkerError(f"request id {rid!r} already exists")
        need = -(-length // self.block_size)
        if need > len(self._free_blocks):
            raise WorkerError(f"out of KV blocks: need {need}, {len(self._free_blocks)} free")
        self.requests[rid] = _Request([self._free_blocks.pop() for _ in range(need)], length)

    def _validate(self, prefills: Sequence[PrefillChunk], decodes: Sequence[Decode]) -> List[int]:
        """Check the batch and return the number of new blocks per item; mutates nothing."""
        items = [(p.rid, p.token_ids, p.start) for p in prefills]
        items += [(d.rid, [d.token_id], None) for d in decodes]
        if not items:
            raise WorkerError("empty batch: step needs at least one prefill chunk or decode")
        seen = set()
        need: List[int] = []
        for rid, toks, start in items:
            if rid in seen:
                raise WorkerError(f"request id {rid!r} appears twice in one step")
            seen.add(rid)
            for t in toks:
                if not 0 <= t < self.cfg.vocab_size:
                    raise WorkerError(f"token id {t} of request {rid!r} outside vocabulary [0, {self.cfg.vocab_size})")
            req = self.requests.get(rid)
            cached = req.length if req else 0
            if start is None:
                if req is None:
                    raise WorkerError(f"unknown request id {rid!r} (decode before any prefill)")
            else:
                if not toks:
                    raise WorkerError(f"prefill chunk of request {rid!r} has no tokens")
                if req is None and start != 0:
                    raise WorkerError(f"unknown request id {rid!r} (a new request's first chunk must start at 0)")
                if start != cached:
                    raise WorkerError(f"prefill chunk of request {rid!r} starts at {start}, but {cached} tokens are cached")
            have = len(req.blocks) if req else 0
            need.append(max(0, -(-(cached + len(toks)) // self.block_size) - have))
        if sum(need) > len(self._free_blocks):
            raise WorkerError(f"out of KV blocks: step needs {sum(need)} new blocks, {len(self._free_blocks)} free")
        return need

    @torch.no_grad()
    def step(
        self, prefills: Sequence[PrefillChunk], decodes: Sequence[Decode], return_logits: bool = False
    ) -> StepOutput:
        """Run one iteration over all prefill chunks and decodes together.

        All items' tokens form one ``[T, D]`` activation; their keys/values are written into the
        paged cache, then each item attends (causally) over its request's cached tokens. The
        batch is validated first and nothing changes on error. Raises :class:`WorkerError` for an
        empty batch, a duplicate or unknown request id, a chunk whose ``start`` differs from the
        cached length, a token outside the vocabulary, or too few free KV blocks.
        """
        need = self._validate(prefills, decodes)
        items = [(p.rid, list(p.token_ids)) for p in prefills] + [(d.rid, [d.token_id]) for d in decodes]
        created = [rid for rid, _ in items if rid not in self.requests]
        for (rid, _), n_new in zip(items, need):
            req = self.requests.setdefault(rid, _Request())
            req.blocks.extend(self._free_blocks.pop() for _ in range(n_new))
        try:
            return self._run(items, return_logits)
        except BaseException:
            # Roll the allocation back (e.g. on a CUDA out-of-memory error): lengths are unchanged.
            for (rid, _), n_new in zip(items, need):
                req = self.requests[rid]
                for _ in range(n_new):
                    self._free_blocks.append(req.blocks.pop())
            for rid in created:
                del self.requests[rid]
            raise

    def _run(self, items: List[tuple], return_logits: bool) -> StepOutput:
        """Forward pass over ``items`` ([(rid, token ids)]) whose blocks are already allocated."""

        bs = self.block_size
        tokens: List[int] = []
        positions: List[int] = []
        slots: List[int] = []
        spans: List[tuple] = []  # (start offset in batch, count, gather slots, query positions)
        for rid, toks in items:
            req = self.requests[rid]
            first = req.length
            pos = list(range(first, first + len(toks)))
            table = req.blocks
            all_slots = [table[p // bs] * bs + p % bs for p in range(first + len(toks))]
            spans.append((len(tokens), len(toks), all_slots, pos))
            tokens.extend(toks)
            positions.extend(pos)
            slots.extend(all_slots[first:])

        dev = self.device
        tok_t = torch.tensor(tokens, dtype=torch.long, device=dev)
        pos_t = torch.tensor(positions, dtype=torch.long, device=dev)
        slot_t = torch.tensor(slots, dtype=torch.long, device=dev)
        span_t = [
            (off, n, torch.tensor(sl, dtype=torch.long, device=dev), pos_t[off : off + n])
            for off, n, sl, _ in spans
        ]
        last = torch.tensor([off + n - 1 for off, n, _, _ in spans], dtype=torch.long, device=dev)

        timer = Timer(dev)
        timer.start()
        cfg = self.cfg
        x = self.weights.model.embed_tokens(tok_t)
        for li, layer in enumerate(self.weights.model.layers):
            q, k, v = layer.qkv(x, cfg)
            q, k = rotary(q, pos_t, cfg.rope_theta), rotary(k, pos_t, cfg.rope_theta)
            kc = self.k_cache[li].view(-1, cfg.num_key_value_heads, cfg.head_dim)
            vc = self.v_cache[li].view(-1, cfg.num_key_value_heads, cfg.head_dim)
            kc[slot_t] = k
            vc[slot_t] = v
            outs = [attention(q[off : off + n], kc[sl], vc[sl], qp) for off, n, sl, qp in span_t]
            x = layer.finish(x, torch.cat(outs, dim=0))
        h = self.weights.model.norm(x)
        if return_logits:
            logits = self.weights.lm_head(h).float()
            next_t = logits[last].argmax(dim=-1)
        else:
            logits = None
            next_t = self.weights.lm_head(h[last]).argmax(dim=-1)
        elapsed = timer.stop()

        for rid, toks in items:
            self.requests[rid].length += len(toks)
        return StepOutput(
            next_tokens=[int(t) for t in next_t.tolist()],
            kv_lens=[self.requests[rid].length for rid, _ in items],
            time_s=elapsed,
            logits=[logits[off : off + n] for off, n, _, _ in spans] if logits is not None else None,
        )


class Timer:
    """Interval timer: CUDA events on a GPU, ``time.perf_counter`` on CPU. Result in seconds.

    Used for iterations (:meth:`Executor.step`) and for the roofline measurements
    (:mod:`roofline`). Reusable: each ``start``/``stop`` pair measures one interval.
    """

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"
        self._t0 = 0.0
        if self.cuda:
            self._start = torch.cuda.Event(enable_timing=True)
            self._end = torch.cuda.Event(enable_timing=True)

    def start(self) -> None:
        """Mark the start (records an event on the current CUDA stream on GPU)."""
        if self.cuda:
            self._start.record()
        else:
            self._t0 = time.perf_counter()

    def stop(self) -> float:
        """Mark the end and return elapsed seconds (synchronises on GPU)."""
        if self.cuda:
            self._end.record()
            self._end.synchronize()
            return self._start.elapsed_time(self._end) / 1000.0
        return time.perf_counter() - self._t0
