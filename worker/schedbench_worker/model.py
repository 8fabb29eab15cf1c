"""Llama-architecture model: configuration, presets, weights and the dense layer maths.

The weights are held in a plain ``torch.nn.Module`` whose parameter names match Hugging Face
Llama checkpoints (``model.layers.0.self_attn.q_proj.weight`` ...), so a safetensors
checkpoint loads with ``load_state_dict``. Attention itself lives in :mod:`executor` (paged)
and in :func:`reference_forward` (plain, full sequence, used by the tests).

Shapes use ``T`` for tokens in a batch, ``D`` hidden size, ``H`` query heads, ``K`` key/value
heads, ``Dh`` head dimension (``D / H``), ``V`` vocabulary size.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from typing import Any, Dict, Optional

import torch
import torch.nn.functional as F
from torch import nn


class WorkerError(Exception):
    """An error caused by a request (bad field, unknown request, out of KV blocks ...).

    The server turns it into an ``error`` reply whose ``reason`` is the message.
    """


@dataclass(frozen=True)
class LlamaConfig:
    """Architecture hyper-parameters (names follow Hugging Face ``config.json``)."""

    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_position_embeddings: int = 4096
    tie_word_embeddings: bool = False

    @property
    def head_dim(self) -> int:
        """Per-head dimension ``Dh = hidden_size / num_attention_heads``."""
        return self.hidden_size // self.num_attention_heads

    def validate(self) -> None:
        """Raise :class:`WorkerError` if the sizes are inconsistent."""
        for name, value in asdict(self).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
                raise WorkerError(f"config field {name} must be positive, got {value}")
        if self.hidden_size % self.num_attention_heads:
            raise WorkerError("hidden_size must be divisible by num_attention_heads")
        if self.num_attention_heads % self.num_key_value_heads:
            raise WorkerError("num_attention_heads must be divisible by num_key_value_heads")
        if self.head_dim % 2:
            raise WorkerError("head dimension must be even for rotary embeddings")

    def parameter_count(self) -> int:
        """Number of weights (embeddings, layers, final norm, and the LM head unless tied)."""
        d, f, v = self.hidden_size, self.intermediate_size, self.vocab_size
        kv = self.num_key_value_heads * self.head_dim
        per_layer = 2 * d * d + 2 * d * kv + 3 * d * f + 2 * d
        head = 0 if self.tie_word_embeddings else v * d
        return v * d + self.num_hidden_layers * per_layer + d + head


PRESETS: Dict[str, LlamaConfig] = {
    # Small grouped-query model for tests: 2 layers, d=128, 4 query heads, 2 KV heads.
    "tiny-llama": LlamaConfig(
        vocab_size=1000,
        hidden_size=128,
        intermediate_size=344,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        max_position_embeddings=2048,
    ),
    # meta-llama/Llama-2-7b-hf config.json.
    "llama-2-7b": LlamaConfig(
        vocab_size=32000,
        hidden_size=4096,
        intermediate_size=11008,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=32,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        max_position_embeddings=4096,
    ),
}


def config_from_dict(raw: Dict[str, Any]) -> LlamaConfig:
    """Build a config from a Hugging Face ``config.json`` dict.

    Raises :class:`WorkerError` on a missing required field or inconsistent sizes.
    ``num_key_value_heads`` defaults to ``num_attention_heads`` (multi-head attention).
    """
    required = [
        "vocab_size",
        "hidden_size",
        "intermediate_size",
        "num_hidden_layers",
        "num_attention_heads",
    ]
    missing = [k for k in required if k not in raw]
    if missing:
        raise WorkerError(f"config.json lacks {', '.join(missing)}")
    try:
        cfg = LlamaConfig(
            vocab_size=int(raw["vocab_size"]),
            hidden_size=int(raw["hidden_size"]),
            intermediate_size=int(raw["intermediate_size"]),
            num_hidden_layers=int(raw["num_hidden_layers"]),
            num_attention_heads=int(raw["num_attention_heads"]),
            num_key_value_heads=int(raw.get("num_key_value_heads") or raw["num_attention_heads"]),
            rms_norm_eps=float(raw.get("rms_norm_eps", 1e-5)),
            rope_theta=float(raw.get("rope_theta", 10000.0)),
            max_position_embeddings=int(raw.get("max_position_embeddings", 4096)),
            tie_word_embeddings=bool(raw.get("tie_word_embeddings", False)),
        )
    except (TypeError, ValueError) as exc:
        raise WorkerError(f"config.json has a malformed field: {exc}") from exc
    cfg.validate()
    return cfg


def load_checkpoint_config(directory: str) -> LlamaConfig:
    """Read ``<directory>/config.json``. Raises :class:`WorkerError` when absent or malformed."""
    path = os.path.join(directory, "config.json")
    if not os.path.isfile(path):
        raise WorkerError(f"no config.json in checkpoint directory {directory!r}")
    try:
        with open(path, "r", encoding="utf-8") as fh:
            raw = json.load(fh)
    except (OSError, ValueError) as exc:
        raise WorkerError(f"cannot read {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise WorkerError(f"{path} is not a JSON object")
    return config_from_dict(raw)


class DecoderLayer(nn.Module):
    """One Llama block's weights (HF names). Linear weights are ``[out, in]``."""

    def __init__(self, cfg: LlamaConfig, device: torch.device, dtype: torch.dtype) -> None:
        super().__init__()
        d, f, kv = cfg.hidden_size, cfg.intermediate_size, cfg.num_key_value_heads * cfg.head_dim
        kw: Dict[str, Any] = {"bias": False, "device": device, "dtype": dtype}
        self.self_attn = nn.Module()
        self.self_attn.q_proj = nn.Linear(d, d, **kw)
        self.self_attn.k_proj = nn.Linear(d, kv, **kw)
        self.self_attn.v_proj = nn.Linear(d, kv, **kw)
        self.self_attn.o_proj = nn.Linear(d, d, **kw)
        self.mlp = nn.Module()
        self.mlp.gate_proj = nn.Linear(d, f, **kw)
        self.mlp.up_proj = nn.Linear(d, f, **kw)
        self.mlp.down_proj = nn.Linear(f, d, **kw)
        self.input_layernorm = RMSNorm(d, cfg.rms_norm_eps, device, dtype)
        self.post_attention_layernorm = RMSNorm(d, cfg.rms_norm_eps, device, dtype)

    def qkv(self, x: torch.Tensor, cfg: LlamaConfig) -> "tuple[torch.Tensor, torch.Tensor, torch.Tensor]":
        """Normalise ``x [T, D]`` and project: returns ``q [T, H, Dh]``, ``k, v [T, K, Dh]``."""
        h = self.input_layernorm(x)
        t = x.shape[0]
        q = self.self_attn.q_proj(h).view(t, cfg.num_attention_heads, cfg.head_dim)
        k = self.self_attn.k_proj(h).view(t, cfg.num_key_value_heads, cfg.head_dim)
        v = self.self_attn.v_proj(h).view(t, cfg.num_key_value_heads, cfg.head_dim)
        return q, k, v

    def finish(self, x: torch.Tensor, attn: torch.Tensor) -> torch.Tensor:
        """Residual after attention (``attn [T, D]``), then the SwiGLU MLP; returns ``[T, D]``."""
        x = x + self.self_attn.o_proj(attn)
        h = self.post_attention_layernorm(x)
        return x + self.mlp.down_proj(F.silu(self.mlp.gate_proj(h)) * self.mlp.up_proj(h))


class RMSNorm(nn.Module):
    """Root-mean-square norm over the last dimension, computed in float32."""

    def __init__(self, dim: int, eps: float, device: torch.device, dtype: torch.dtype) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim, device=device, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x [..., D]`` -> same shape and dtype."""
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * xf.to(x.dtype)


class LlamaWeights(nn.Module):
    """All weights of a Llama causal LM, with Hugging Face parameter names."""

    def __init__(self, cfg: LlamaConfig, device: torch.device, dtype: torch.dtype) -> None:
        super().__init__()
        self.cfg = cfg
        self.model = nn.Module()
        self.model.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size, device=device, dtype=dtype)
        self.model.layers = nn.ModuleList(
            [DecoderLayer(cfg, device, dtype) for _ in range(cfg.num_hidden_layers)]
        )
        self.model.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, device, dtype)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False, device=device, dtype=dtype)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        self.requires_grad_(False)

    def random_init(self, seed: int) -> None:
        """Fill weights with N(0, 0.02) (norm weights stay 1), deterministically from ``seed``.

        The generator lives on the weights' device, so large models initialise on the GPU.
        """
        device = self.model.embed_tokens.weight.device
        gen = torch.Generator(device=device)
        gen.manual_seed(int(seed))
        for name, param in self.named_parameters():
            if name.endswith("layernorm.weight") or name == "model.norm.weight":
                continue
            param.normal_(mean=0.0, std=0.02, generator=gen)

    def load_safetensors(self, directory: str) -> int:
        """Load every ``*.safetensors`` file in ``directory``; returns the number of files.

        Raises :class:`WorkerError` when the ``safetensors`` package is not importable, when the
        directory holds no safetensors file, or when a tensor is missing, unexpected or of the
        wrong shape.
        """
        try:
            from safetensors.torch import load_file  # type: ignore[import-not-found]
        except ImportError as exc:
            raise WorkerError(
                "checkpoint weights need the 'safetensors' package, which is not importable "
                "here; install it or load without weights (random init)"
            ) from exc
        files = sorted(f for f in os.listdir(directory) if f.endswith(".safetensors"))
        if not files:
            raise WorkerError(f"no .safetensors files in {directory!r}")
        own = self.state_dict()
        seen = set()
        for fname in files:
            tensors = load_file(os.path.join(directory, fname), device="cpu")
            for key, tensor in tensors.items():
                if key.endswith("rotary_emb.inv_freq"):
                    continue
                if key not in own:
                    raise WorkerError(f"unexpected tensor {key} in {fname}")
                if tuple(own[key].shape) != tuple(tensor.shape):
                    raise WorkerError(
                        f"tensor {key} has shape {tuple(tensor.shape)}, expected {tuple(own[key].shape)}"
                    )
                own[key].copy_(tensor.to(own[key].dtype))
                seen.add(key)
        missing = sorted(set(own) - seen - ({"lm_head.weight"} if self.cfg.tie_word_embeddings else set()))
        if missing:
            raise WorkerError(f"checkpoint lacks {len(missing)} tensors, e.g. {missing[0]}")
        return len(files)


def _rope_angles(positions: torch.Tensor, dh: int, theta: float) -> torch.Tensor:
    """Rotary angles ``[T, Dh]`` (float32, ``rotate_half`` layout) for ``positions [T]``."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, dh, 2, device=positions.device, dtype=torch.float32) / dh))
    freqs = positions.to(torch.float32)[:, None] * inv_freq[None, :]
    return torch.cat([freqs, freqs], dim=-1)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate ``x [T, heads, Dh]`` by precomputed float32 ``cos, sin [T, Dh]``; same dtype out."""
    dh = x.shape[-1]
    cos, sin = cos[:, None, :], sin[:, None, :]
    xf = x.float()
    x1, x2 = xf[..., : dh // 2], xf[..., dh // 2 :]
    rotated = torch.cat([-x2, x1], dim=-1)
    return (xf * cos + rotated * sin).to(x.dtype)


def rotary(x: torch.Tensor, positions: torch.Tensor, theta: float) -> torch.Tensor:
    """Apply rotary embeddings (Hugging Face ``rotate_half`` layout).

    ``x [T, heads, Dh]``, ``positions [T]`` (int64, absolute token positions) -> ``[T, heads, Dh]``.
    Angles are computed in float32. Computes the tables on every call; the executor uses
    :class:`RopeCache` instead.
    """
    emb = _rope_angles(positions, x.shape[-1], theta)
    return apply_rotary(x, emb.cos(), emb.sin())


class RopeCache:
    """Rotary ``cos``/``sin`` tables ``[P, Dh]`` (float32) for positions ``0..P-1``, built once.

    ``P`` starts at ``max_position_embeddings`` and doubles if a longer position is asked for.
    The values follow the same float32 formula as :func:`rotary`.
    """

    def __init__(self, cfg: LlamaConfig, device: torch.device) -> None:
        self.dh = cfg.head_dim
        self.theta = cfg.rope_theta
        self.device = device
        self.cos = torch.empty(0, self.dh, device=device)
        self.sin = torch.empty(0, self.dh, device=device)
        self.ensure(cfg.max_position_embeddings)

    def ensure(self, length: int) -> None:
        """Make the tables cover positions ``0..length-1``."""
        if length <= self.cos.shape[0]:
            return
        size = max(length, 2 * self.cos.shape[0])
        emb = _rope_angles(torch.arange(size, device=self.device), self.dh, self.theta)
        self.cos, self.sin = emb.cos(), emb.sin()

    def lookup(self, positions: torch.Tensor, max_position: int) -> "tuple[torch.Tensor, torch.Tensor]":
        """``cos, sin [T, Dh]`` for ``positions [T]``; ``max_position`` bounds them (host int)."""
        self.ensure(max_position + 1)
        return self.cos[positions], self.sin[positions]


HAS_SDPA: bool = hasattr(F, "scaled_dot_product_attention")
"""True on torch >= 2.0, where ``F.scaled_dot_product_attention`` exists."""


def attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, q_pos: torch.Tensor, use_sdpa: Optional[bool] = None
) -> torch.Tensor:
    """Causal grouped-query attention of one request.

    ``q [n, H, Dh]`` are the queries at absolute positions ``q_pos [n]``; ``k, v [L, K, Dh]``
    are the keys/values of positions ``0..L-1``. Query ``i`` attends to keys ``j <= q_pos[i]``.
    Returns ``[n, H * Dh]``. Uses ``scaled_dot_product_attention`` when available (unless
    ``use_sdpa`` is False), else plain softmax maths in float32.
    """
    n, h, dh = q.shape
    groups = h // k.shape[1]
    if groups > 1:
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
    qh, kh, vh = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)  # [H, n|L, Dh]
    key_pos = torch.arange(k.shape[0], device=q.device)
    allowed = key_pos[None, :] <= q_pos[:, None]  # [n, L]
    if use_sdpa is None:
        use_sdpa = HAS_SDPA
    if use_sdpa:
        out = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=allowed)
    else:
        scores = torch.matmul(qh.float(), kh.float().transpose(1, 2)) / math.sqrt(dh)
        scores = scores.masked_fill(~allowed[None], float("-inf"))
        out = torch.matmul(torch.softmax(scores, dim=-1), vh.float()).to(q.dtype)
    return out.transpose(0, 1).reshape(n, h * dh)


def batched_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    allowed: torch.Tensor,
    use_sdpa: Optional[bool] = None,
) -> torch.Tensor:
    """Grouped-query attention of a padded batch of requests, in one computation.

    ``q [B, Q, H, Dh]`` are the (padded) new tokens' queries, ``k, v [B, K, L, Dh]`` the
    (padded) keys/values of each request's cache, head-major, ``allowed [B, Q, L]`` (bool)
    which keys each query may see; every row must allow at least one key. Returns
    ``[B, Q, H * Dh]``.

    Query head ``h`` uses KV head ``h // G`` (``G = H / K``). Instead of repeating K/V per
    query head, the queries are regrouped to ``[B, K, G * Q, Dh]`` so one batched matmul per
    (request, KV head) covers its whole query group. Uses ``scaled_dot_product_attention``
    when available (unless ``use_sdpa`` is False), else softmax maths in float32.
    """
    b, nq, h, dh = q.shape
    kh_n, n_kv = k.shape[1], k.shape[2]
    g = h // kh_n
    qg = q.view(b, nq, kh_n, g, dh).permute(0, 2, 3, 1, 4).reshape(b, kh_n, g * nq, dh)
    if g == 1:
        mask = allowed[:, None]  # [B, 1, Q, L]
    else:
        mask = allowed[:, None, None].expand(b, 1, g, nq, n_kv).reshape(b, 1, g * nq, n_kv)
    if use_sdpa is None:
        use_sdpa = HAS_SDPA
    if use_sdpa:
        out = F.scaled_dot_product_attention(qg, k, v, attn_mask=mask)
    else:
        scores = torch.matmul(qg.float() * (1.0 / math.sqrt(dh)), k.float().transpose(2, 3))
        scores = scores.masked_fill(~mask, float("-inf"))
        out = torch.matmul(torch.softmax(scores, dim=-1), v.float()).to(q.dtype)
    # [B, K, G*Q, Dh] -> [B, Q, K, G, Dh] -> [B, Q, H*Dh]
    return out.view(b, kh_n, g, nq, dh).permute(0, 3, 1, 2, 4).reshape(b, nq, h * dh)


@torch.no_grad()
def reference_forward(weights: LlamaWeights, token_ids: torch.Tensor) -> torch.Tensor:
    """Plain full-sequence forward without any cache: ``token_ids [T]`` -> logits ``[T, V]``."""
    cfg = weights.cfg
    positions = torch.arange(token_ids.shape[0], device=token_ids.device)
    x = weights.model.embed_tokens(token_ids)
    emb = _rope_angles(positions, cfg.head_dim, cfg.rope_theta)
    cos, sin = emb.cos(), emb.sin()
    for layer in weights.model.layers:
        q, k, v = layer.qkv(x, cfg)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        x = layer.finish(x, attention(q, k, v, positions, use_sdpa=False))
    return weights.lm_head(weights.model.norm(x)).float()
