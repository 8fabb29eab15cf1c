"""Test setup: put ``worker/`` on ``sys.path``, pin torch to one thread, and handle a missing torch.

When torch is not importable the torch-dependent test modules are not collected and
``test_environment.py`` skips with the reason, or FAILS when ``SCHEDBENCH_REQUIRE_ALL=1``
(CI must not skip silently).
"""

import os
import sys
from typing import List, Optional

WORKER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if WORKER_DIR not in sys.path:
    sys.path.insert(0, WORKER_DIR)

TORCH_IMPORT_ERROR: Optional[str] = None
try:
    import torch

    torch.set_num_threads(1)
except ImportError as exc:  # pragma: no cover - depends on the interpreter
    TORCH_IMPORT_ERROR = (
        f"torch is not importable by {sys.executable} ({exc}); run the worker tests with "
        "/usr/bin/python3 after `apt-get install python3-torch python3-numpy python3-pytest`"
    )

collect_ignore_glob: List[str] = []
if TORCH_IMPORT_ERROR is not None:
    collect_ignore_glob = ["test_executor.py", "test_protocol.py", "test_roofline.py"]
