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

from .model import LlamaConfig, LlamaWeights, RopeCache, WorkerError, apply_rotary, batched_attention

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
        # Rotary cos/sin tables, computed once here and shared by every step and layer.
        self.rope = RopeCache(self.cfg, self.device)

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
        paged cache, then the items attend (causally) over their requests' cached tokens in one
        batched attention computation per layer for the prefill chunks and one for the decodes. The
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
            return self._run(items, len(prefills), return_logits)
        except BaseException:
            # Roll the allocation back (e.g. on a CUDA out-of-memory error): lengths are unchanged.
            for (rid, _), n_new in zip(items, need):
                req = self.requests[rid]
                for _ in range(n_new):
                    self._free_blocks.append(req.blocks.pop())
            for rid in created:
                del self.requests[rid]
            raise

    def _attention_group(self, starts: List[int], q_lens: List[int], tables: List[List[int]]) -> "_Group":
        """Index tensors for one batched attention call over consecutive items.

        Layout (``B`` items, ``Q`` = most new tokens of an item, ``L`` = longest cache after the
        step): queries ``[B, Q, H, Dh]`` (item ``b``'s ``i``-th new token at row ``(b, i)``);
        keys/values ``[B, K, L, Dh]`` gathered from the paged cache through a padded block table
        ``[B, max blocks]`` (slot of position ``p`` = ``table[b, p // bs] * bs + p % bs``); mask
        ``[B, Q, L]``: key ``j`` is visible to row ``(b, i)`` iff ``j <= start_b + i`` and
        ``j < kv_len_b`` (causal over the new tokens, the whole cached prefix, padding keys hidden;
        padding query rows see the real keys and are discarded).
        """
        dev, bs = self.device, self.block_size
        kvh = self.cfg.num_key_value_heads
        n_items = len(starts)
        max_q = max(q_lens)
        max_kv = max(s + n for s, n in zip(starts, q_lens))
        max_blocks = max(len(t) for t in tables)
        start_t = torch.tensor(starts, dtype=torch.long, device=dev)  # [B]
        qlen_t = torch.tensor(q_lens, dtype=torch.long, device=dev)  # [B]
        table_t = torch.tensor([t + [0] * (max_blocks - len(t)) for t in tables], dtype=torch.long, device=dev)
        item_of = torch.repeat_interleave(torch.arange(n_items, device=dev), qlen_t)  # [T]
        local = torch.arange(item_of.shape[0], device=dev) - (torch.cumsum(qlen_t, 0) - qlen_t)[item_of]
        pos_t = start_t[item_of] + local  # [T] absolute positions of the new tokens
        slot_t = table_t[item_of, pos_t // bs] * bs + pos_t % bs  # [T] their cache slots
        kv_pos = torch.arange(max_kv, device=dev)  # [L]
        # Padding positions past a request's last block index block 0: valid, and masked below.
        kv_slot = table_t[:, (kv_pos // bs).clamp(max=max_blocks - 1)] * bs + kv_pos % bs  # [B, L]
        # Rows of the cache viewed as [slots * K, Dh]: one index_select gives [B, K, L, Dh].
        kv_index = (kv_slot[:, None, :] * kvh + torch.arange(kvh, device=dev)[None, :, None]).view(-1)
        q_pos = start_t[:, None] + torch.arange(max_q, device=dev)[None, :]  # [B, Q]
        allowed = (kv_pos[None, None, :] <= q_pos[:, :, None]) & (
            kv_pos[None, None, :] < (start_t + qlen_t)[:, None, None]
        )  # [B, Q, L]
        q_row = None if max_q == 1 else item_of * max_q + local  # [T] row in the padded [B * Q]
        return _Group(n_items, max_q, max_kv, pos_t, slot_t, kv_index, allowed, q_row)

    def _attend(self, g: "_Group", q: torch.Tensor, kc: torch.Tensor, vc: torch.Tensor) -> torch.Tensor:
        """One batched attention call for group ``g``: ``q [T_g, H, Dh]`` -> ``[T_g, H * Dh]``."""
        heads, kvh, dh = self.cfg.num_attention_heads, self.cfg.num_key_value_heads, self.cfg.head_dim
        if g.q_row is None:  # every item has one new token: the batch is the padded layout
            qp = q.view(g.n_items, 1, heads, dh)
        else:
            qp = q.new_zeros(g.n_items * g.max_q, heads, dh)
            qp[g.q_row] = q
            qp = qp.view(g.n_items, g.max_q, heads, dh)
        kg = kc.view(-1, dh).index_select(0, g.kv_index).view(g.n_items, kvh, g.max_kv, dh)
        vg = vc.view(-1, dh).index_select(0, g.kv_index).view(g.n_items, kvh, g.max_kv, dh)
        out = batched_attention(qp, kg, vg, g.allowed).reshape(g.n_items * g.max_q, heads * dh)
        return out if g.q_row is None else out[g.q_row]

    def _run(self, items: List[tuple], n_prefills: int, return_logits: bool) -> StepOutput:
        """Forward pass over ``items`` ([(rid, token ids)], prefill chunks first) whose blocks are
        already allocated.

        Attention runs as one batched computation per layer for all prefill chunks and one for
        all decodes (see :meth:`_attention_group` for the padded layout and mask). Keeping the
        two apart stops every decode from being padded to the longest chunk's query count
        (``B x Q x L`` work instead of ``sum(n_i x L)``); a batch of only decodes or only
        prefill chunks makes one call.
        """
        dev = self.device
        cfg = self.cfg
        tokens: List[int] = []
        starts: List[int] = []
        q_lens: List[int] = []
        tables: List[List[int]] = []
        for rid, toks in items:
            req = self.requests[rid]
            starts.append(req.length)
            q_lens.append(len(toks))
            tables.append(req.blocks)
            tokens.extend(toks)
        groups = [
            self._attention_group(starts[i0:i1], q_lens[i0:i1], tables[i0:i1])
            for i0, i1 in ((0, n_prefills), (n_prefills, len(items)))
            if i1 > i0
        ]
        tok_t = torch.tensor(tokens, dtype=torch.long, device=dev)
        pos_t = torch.cat([g.pos_t for g in groups]) if len(groups) > 1 else groups[0].pos_t
        slot_t = torch.cat([g.slot_t for g in groups]) if len(groups) > 1 else groups[0].slot_t
        rows = [0]
        for g in groups:
            rows.append(rows[-1] + g.pos_t.shape[0])
        cos, sin = self.rope.lookup(pos_t, max(g.max_kv for g in groups) - 1)
        offs = [0]
        for n in q_lens:
            offs.append(offs[-1] + n)
        last = torch.tensor([o - 1 for o in offs[1:]], dtype=torch.long, device=dev)
        kvh, dh = cfg.num_key_value_heads, cfg.head_dim
        n_items = len(items)

        timer = Timer(dev)
        timer.start()
        x = self.weights.model.embed_tokens(tok_t)
        for li, layer in enumerate(self.weights.model.layers):
            q, k, v = layer.qkv(x, cfg)
            q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
            kc = self.k_cache[li].view(-1, kvh, dh)
            vc = self.v_cache[li].view(-1, kvh, dh)
            kc[slot_t] = k
            vc[slot_t] = v
            outs = [self._attend(g, q[r0:r1], kc, vc) for g, r0, r1 in zip(groups, rows, rows[1:])]
            x = layer.finish(x, outs[0] if len(outs) == 1 else torch.cat(outs, dim=0))
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
            logits=[logits[offs[i] : offs[i + 1]] for i in range(n_items)] if logits is not None else None,
        )


@dataclass
class _Group:
    """Index tensors of one batched attention call (see :meth:`Executor._attention_group`)."""

    n_items: int
    max_q: int
    max_kv: int
    pos_t: torch.Tensor  # [T_g] positions of the group's new tokens
    slot_t: torch.Tensor  # [T_g] their cache slots
    kv_index: torch.Tensor  # [B * K * L] rows of the cache viewed as [slots * K, Dh]
    allowed: torch.Tensor  # [B, Q, L] mask
    q_row: Optional[torch.Tensor]  # [T_g] rows in the padded [B * Q] layout; None when Q == 1


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
