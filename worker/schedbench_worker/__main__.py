"""Entry point: ``python3 -m schedbench_worker`` serves the protocol on stdin/stdout."""

import sys

from .server import main

if __name__ == "__main__":
    sys.exit(main())
