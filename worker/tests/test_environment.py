"""Reports a missing torch: skip normally, fail when SCHEDBENCH_REQUIRE_ALL=1."""

import os

import pytest

from conftest import TORCH_IMPORT_ERROR


def test_torch_available() -> None:
    if TORCH_IMPORT_ERROR is None:
        return
    if os.environ.get("SCHEDBENCH_REQUIRE_ALL") == "1":
        pytest.fail(f"SCHEDBENCH_REQUIRE_ALL=1 but {TORCH_IMPORT_ERROR}")
    pytest.skip(TORCH_IMPORT_ERROR)
