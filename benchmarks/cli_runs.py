"""What the benchmarks that time the ``stackyard`` command share: the command, and a clean environment for it."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def stackyard() -> list[str]:
    """The installed console script (``python -m stackyard_cli`` if there is none)."""
    script = Path(sys.executable).parent / "stackyard"
    return [str(script)] if script.exists() else [sys.executable, "-m", "stackyard_cli"]


def environment(config: Path, pycache: Path | None = None) -> dict[str, str]:
    """This environment without ``STACKYARD_*`` settings, using the config folder ``config``.

    Bytecode caching is allowed (``PYTHONDONTWRITEBYTECODE`` removed), as for
    anyone who installed with pip; ``pycache`` keeps the bytecode out of the checkout.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACKYARD_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["STACKYARD_CONFIG_PATH"] = str(config)
    if pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env
