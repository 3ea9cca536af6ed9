"""Keep numba's on-disk cache of the frontier kernels from going stale.

numba caches a compiled function (``cache=True``) under a key that checks only the source file
that defines it (its modification time and size). The kernels of :mod:`sim.model.kernels`,
:mod:`sim.model.step_kernels` and :mod:`sim.model.series_kernels` inline the rules of
:mod:`sim.model.rules` and each other's functions: after an edit of ``rules.py`` (or of
``pairwise.py``, or of one kernel file) numba would load the others' old machine code, with the
old rules in it.

:func:`refresh` runs when :mod:`sim.model.kernels` is imported, before any kernel is defined
(every kernel module imports that one first). It hashes the sources the kernels are built from
and, when the hash differs from the one recorded at the last refresh, sets the modification time
of every kernel file to now: numba then sees a changed source and compiles those kernels again
(about 45 s once) instead of loading stale code. Where the package is read-only (an installed
wheel) nothing can be edited, so nothing can go stale, and the check does nothing.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

__all__ = ["KERNEL_FILES", "SOURCES", "refresh"]

HERE = Path(__file__).resolve().parent
# Files whose compiled functions inline code from other files.
KERNEL_FILES = ("kernels.py", "step_kernels.py", "series_kernels.py")
# Every source the compiled kernels are built from.
SOURCES = ("rules.py", "pairwise.py", *KERNEL_FILES)
RECORD = HERE / "__pycache__" / "kernel-sources.sha256"


def digest() -> str:
    """SHA-256 of the kernels' sources, in a fixed order."""
    sha = hashlib.sha256()
    for name in SOURCES:
        sha.update(name.encode())
        sha.update((HERE / name).read_bytes())
    return sha.hexdigest()


def refresh() -> bool:
    """Invalidate numba's cache of the kernel files if their sources changed since the last
    refresh; returns True when it did."""
    try:
        current = digest()
        if RECORD.exists() and RECORD.read_text().strip() == current:
            return False
        now = time.time()
        for name in KERNEL_FILES:
            os.utime(HERE / name, (now, now))
        RECORD.parent.mkdir(exist_ok=True)
        RECORD.write_text(current + "\n")
    except OSError:  # a read-only installation: its sources and caches cannot change
        return False
    return True
