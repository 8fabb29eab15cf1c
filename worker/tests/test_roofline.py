"""The ``roofline`` message: copy bandwidth and matrix-multiply rate of the worker's device."""

import math
from typing import Any, Dict

import pytest
import torch

from schedbench_worker.roofline import CPU_COPY_BYTES, CPU_MATMUL_N, measure_roofline
from schedbench_worker.server import Worker

SMALL = {"type": "roofline", "device": "cpu", "copy_bytes": 1 << 20, "matmul_n": 64, "repeats": 3}


def _positive_finite(x: Any) -> bool:
    return isinstance(x, float) and math.isfinite(x) and x > 0


def _check_rates(reply: Dict[str, Any], repeats: int) -> None:
    assert reply["type"] == "roofline", reply
    assert _positive_finite(reply["copy_bytes_per_s"]) and _positive_finite(reply["matmul_flops_per_s"])
    assert len(reply["copy_times_s"]) == repeats and len(reply["matmul_times_s"]) == repeats
    assert all(_positive_finite(t) for t in reply["copy_times_s"] + reply["matmul_times_s"])


def test_small_measurement_without_a_model() -> None:
    reply = Worker().handle(dict(SMALL, id=7))
    _check_rates(reply, 3)
    assert reply["id"] == 7 and reply["repeats"] == 3
    assert (reply["device"], reply["dtype"]) == ("cpu", "float32")
    assert reply["copy_bytes"] == 1 << 20 and reply["matmul_n"] == 64


def test_rates_follow_from_the_median_times() -> None:
    r = measure_roofline(torch.device("cpu"), torch.float32, 1 << 20, 32, 5)
    copy_s = sorted(r.copy_times_s)[2]
    matmul_s = sorted(r.matmul_times_s)[2]
    assert r.copy_bytes_per_s == pytest.approx(2 * (1 << 20) / copy_s)
    assert r.matmul_flops_per_s == pytest.approx(2 * 32**3 / matmul_s)


def test_copy_bytes_rounds_down_to_whole_elements() -> None:
    reply = Worker().handle(dict(SMALL, copy_bytes=4099))
    assert reply["copy_bytes"] == 4096, reply


def test_cpu_defaults_and_the_loaded_models_device() -> None:
    w = Worker()
    assert w.handle({"type": "load", "model": "tiny-llama", "kv_blocks": 4, "device": "cpu"})["type"] == "loaded"
    reply = w.handle({"type": "roofline", "repeats": 1})
    _check_rates(reply, 1)
    assert (reply["device"], reply["dtype"]) == ("cpu", "float32")
    assert reply["copy_bytes"] == CPU_COPY_BYTES and reply["matmul_n"] == CPU_MATMUL_N
    # The model and its KV cache are untouched.
    step = w.handle({"type": "step", "prefill": [{"id": "a", "token_ids": [1, 2, 3], "start": 0}]})
    assert step["type"] == "step_result" and step["free_blocks"] == 3


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"copy_bytes": 0}, "must be positive"),
        ({"copy_bytes": 3}, "at least one"),
        ({"copy_bytes": "1GiB"}, "field 'copy_bytes' must be int"),
        ({"matmul_n": -4}, "must be positive"),
        ({"matmul_n": 1.5}, "field 'matmul_n' must be int"),
        ({"repeats": 0}, "must be positive"),
        ({"repeats": True}, "field 'repeats' must be int"),
        ({"dtype": "float16"}, "not supported on cpu"),
        ({"dtype": "int8"}, "not supported on cpu"),
        ({"device": "tpu"}, "device must be 'cpu' or 'cuda'"),
    ],
)
def test_bad_fields_get_error_replies(fields: Dict[str, Any], reason: str) -> None:
    w = Worker()
    reply = w.handle(dict(SMALL, id="r", **fields))
    assert reply["type"] == "error" and reason in reply["reason"], reply
    assert reply["request_type"] == "roofline" and reply["id"] == "r"
    # The worker keeps serving.
    _check_rates(w.handle(SMALL), 3)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a CPU-only host")
def test_cuda_without_a_gpu_is_an_error() -> None:
    reply = Worker().handle(dict(SMALL, device="cuda"))
    assert reply["type"] == "error" and "no CUDA device" in reply["reason"], reply


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_small_measurement() -> None:
    reply = Worker().handle(
        {"type": "roofline", "device": "cuda", "dtype": "float16", "copy_bytes": 64 << 20, "matmul_n": 1024}
    )
    _check_rates(reply, 5)
    assert (reply["device"], reply["dtype"]) == ("cuda", "float16")
