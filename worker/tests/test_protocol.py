"""Protocol round trips through a real ``/usr/bin/python3 -m schedbench_worker`` subprocess."""

import json
import os
import subprocess
import sys
from typing import Any, Dict, Iterator, List

import pytest

from schedbench_worker import PROTOCOL_VERSION
from schedbench_worker.server import Worker

WORKER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOAD = {"type": "load", "model": "tiny-llama", "kv_blocks": 8, "block_size": 4, "seed": 3}


class Proc:
    """A worker subprocess spoken to one line at a time (5 s read timeout per reply)."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONPATH=WORKER_DIR, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
        self.p = subprocess.Popen(
            [sys.executable, "-m", "schedbench_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=WORKER_DIR,
            env=env,
        )

    def send_raw(self, line: str) -> Dict[str, Any]:
        assert self.p.stdin is not None and self.p.stdout is not None
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        reply = self.p.stdout.readline()
        assert reply, f"worker closed stdout; stderr: {self.p.stderr.read() if self.p.stderr else ''}"
        return json.loads(reply)

    def send(self, msg: Dict[str, Any]) -> Dict[str, Any]:
        return self.send_raw(json.dumps(msg))

    def close(self) -> int:
        if self.p.poll() is None:
            assert self.p.stdin is not None
            self.p.stdin.close()
        try:
            return self.p.wait(timeout=10)
        finally:
            if self.p.poll() is None:
                self.p.kill()
            for f in (self.p.stdout, self.p.stderr):
                if f:
                    f.close()


@pytest.fixture()
def proc() -> Iterator[Proc]:
    p = Proc()
    try:
        yield p
    finally:
        if p.p.poll() is None:
            p.p.kill()
            p.p.wait()


def test_round_trip_and_shutdown(proc: Proc) -> None:
    hello = proc.send({"type": "hello", "id": "h"})
    assert hello["type"] == "hello" and hello["id"] == "h"
    assert hello["protocol"] == PROTOCOL_VERSION
    assert hello["device"] in ("cpu", "cuda")
    assert hello["dtypes"] == (["float32"] if hello["device"] == "cpu" else ["float16", "bfloat16", "float32"])
    assert isinstance(hello["torch"], str) and isinstance(hello["python"], str)
    assert "gpu_name" in hello and "gpu_memory_bytes" in hello

    loaded = proc.send(dict(LOAD, id=1, device="cpu"))
    assert loaded["type"] == "loaded", loaded
    assert loaded["id"] == 1 and loaded["kv_blocks"] == 8 and loaded["block_size"] == 4
    assert loaded["config"]["num_key_value_heads"] == 2

    s1 = proc.send({"type": "step", "id": 2, "prefill": [{"id": "a", "token_ids": [1, 2, 3, 4, 5, 6], "start": 0}]})
    assert s1["type"] == "step_result" and s1["id"] == 2
    assert s1["time_s"] > 0
    assert [r["id"] for r in s1["results"]] == ["a"] and s1["results"][0]["kv_len"] == 6
    assert 0 <= s1["results"][0]["token_id"] < 1000
    assert s1["free_blocks"] == 6

    s2 = proc.send(
        {
            "type": "step",
            "id": 3,
            "prefill": [{"id": 7, "token_ids": [9, 8, 7], "start": 0}],
            "decode": [{"id": "a", "token_id": s1["results"][0]["token_id"]}],
        }
    )
    assert s2["type"] == "step_result", s2
    assert [(r["id"], r["kv_len"]) for r in s2["results"]] == [(7, 3), ("a", 7)]

    freed = proc.send({"type": "free", "id": 4, "request_id": "a"})
    assert freed == {"type": "freed", "id": 4, "request_id": "a", "blocks": 2, "free_blocks": 7}

    prof = proc.send(
        {"type": "profile", "id": 5, "repeats": 2, "warmup": 0,
         "shapes": [{"prefill": [4], "decodes": 0}, {"prefill": [], "decodes": 2, "decode_kv_len": 5}]}
    )
    assert prof["type"] == "profile_result", prof
    assert [len(r["times_s"]) for r in prof["results"]] == [2, 2]
    assert all(r["median_s"] > 0 for r in prof["results"])
    # Profiling leaves the live requests and the free pool as they were.
    assert proc.send({"type": "step", "decode": [{"id": 7, "token_id": 1}]})["free_blocks"] == 7

    assert proc.send({"type": "shutdown", "id": 6}) == {"type": "bye", "id": 6}
    assert proc.p.wait(timeout=10) == 0


def test_exits_when_stdin_closes(proc: Proc) -> None:
    assert proc.send({"type": "hello"})["type"] == "hello"
    assert proc.close() == 0


def test_bad_messages_get_errors_and_worker_keeps_serving(proc: Proc) -> None:
    def err(reply: Dict[str, Any], text: str) -> None:
        assert reply["type"] == "error" and text in reply["reason"], reply

    err(proc.send_raw("{not json"), "malformed JSON")
    err(proc.send_raw("[1, 2]"), "JSON object")
    err(proc.send({"id": 1}), "missing field 'type'")
    reply = proc.send({"type": "frobnicate", "id": "x"})
    err(reply, "unknown message type")
    assert reply["id"] == "x"
    err(proc.send({"type": "step", "decode": [{"id": "a", "token_id": 1}]}), "no model loaded")
    err(proc.send({"type": "load"}), "missing field 'model'")
    err(proc.send(dict(LOAD, model="gpt-9")), "unknown model")
    err(proc.send(dict(LOAD, dtype="float16", device="cpu")), "not supported on cpu")
    err(proc.send(dict(LOAD, model="/nonexistent/ckpt")), "no config.json")
    assert proc.send(dict(LOAD, device="cpu"))["type"] == "loaded"
    err(proc.send({"type": "step", "decode": [{"id": "ghost", "token_id": 1}]}), "unknown request id")
    err(proc.send({"type": "step", "prefill": [{"id": "a", "start": 0}]}), "missing field 'token_ids'")
    err(proc.send({"type": "step", "prefill": [{"id": "a", "token_ids": "abc", "start": 0}]}), "must be list")
    err(proc.send({"type": "step", "prefill": [{"id": "a", "token_ids": [1] * 40, "start": 0}]}), "out of KV blocks")
    err(proc.send({"type": "free", "request_id": "ghost"}), "unknown request id")
    err(proc.send({"type": "free"}), "missing field 'request_id'")
    # Still serving, with nothing leaked by the failed steps.
    ok = proc.send({"type": "step", "id": 9, "prefill": [{"id": "a", "token_ids": [1] * 32, "start": 0}]})
    assert ok["type"] == "step_result" and ok["free_blocks"] == 0 and ok["id"] == 9
    assert proc.close() == 0


def test_checkpoint_directory_config_and_weights(tmp_path: Any) -> None:
    cfg = {
        "vocab_size": 50, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
        "num_attention_heads": 4, "num_key_value_heads": 1,
    }
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    w = Worker()
    loaded = w.handle({"type": "load", "model": str(tmp_path), "kv_blocks": 4, "device": "cpu"})
    assert loaded["type"] == "loaded" and loaded["weights"] == "random", loaded
    assert loaded["config"]["head_dim"] == 8
    (tmp_path / "model.safetensors").write_bytes(b"")
    reply = w.handle({"type": "load", "model": str(tmp_path), "kv_blocks": 4, "device": "cpu"})
    try:
        import safetensors  # noqa: F401
    except ImportError:
        assert reply["type"] == "error" and "safetensors" in reply["reason"], reply
    else:
        assert reply["type"] == "error"  # an empty file is not a valid safetensors file
