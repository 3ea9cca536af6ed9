"""Keep numba's on-disk cache of the frontier kernels from going stale.

numba caches a compiled function (``cache=True``) under a key that checks only the source file
that defines it (numba 0.68: a SHA-256 of that file's contents; older versions: its
modification time and size). The kernels of :mod:`sim.model.kernels`, :mod:`sim.model.rows`,
:mod:`sim.model.institution_kernels`, :mod:`sim.model.step_kernels` and
:mod:`sim.model.series_kernels` compile in the rules of
:mod:`sim.model.rules` and each other's functions: after an edit of ``rules.py`` (or of
``pairwise.py``, or of one kernel file) numba would load the other files' old machine code,
with the old rules in it, and give other results without a word.

:func:`refresh` runs when :mod:`sim.model.kernels` is imported, before any kernel is defined
(every kernel module imports that one first). It hashes the sources the kernels are built from
and, when the hash differs from the one recorded in the cache folder numba uses (its own
locators decide: ``NUMBA_CACHE_DIR``, the package's ``__pycache__`` or the user-wide cache), it
deletes the kernel files' cached functions there and records the new hash: numba then
compiles them again (about 45 s once). The record lives beside the entries it vouches for, so
a second cache folder (a benchmark's fresh ``NUMBA_CACHE_DIR``) does not vouch for the first.
Where nothing can be written (an installed, read-only package) nothing can be edited either,
and the check does nothing.

Until 2026-11-30 the refresh set the kernel files' modification times instead, which numba
0.68 no longer reads: an edit of ``kernels.py`` alone left ``step_kernels.py``'s cached code,
with the old kernels compiled in, in use.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = [
    "ENTRY_POINTS",
    "KERNEL_FILES",
    "RECORD_NAME",
    "SOURCES",
    "cache_folder",
    "clear_stale",
    "compiled",
    "refresh",
]

HERE = Path(__file__).resolve().parent
# Files whose compiled functions compile in code from other files.
KERNEL_FILES = (
    "kernels.py",
    "rows.py",
    "institution_kernels.py",
    "step_kernels.py",
    "series_kernels.py",
)
# Every source the compiled kernels are built from.
SOURCES = ("rules.py", "pairwise.py", *KERNEL_FILES)
# The hash of SOURCES that the kernel entries of a cache folder were compiled from.
RECORD_NAME = "kernel-sources.sha256"
NUMBA_SUFFIXES = (".nbi", ".nbc")  # numba's index and data files
# The kernels the model calls from Python, as numba names their cache files (file stem and
# function name, before ``-<line>``); each has the others it calls compiled in.
ENTRY_POINTS = ("step_kernels.one_step", "step_kernels.relax", "series_kernels.relax_series")


def digest() -> str:
    """SHA-256 of the kernels' sources, in a fixed order."""
    sha = hashlib.sha256()
    for name in SOURCES:
        sha.update(name.encode())
        sha.update((HERE / name).read_bytes())
    return sha.hexdigest()


def _probe() -> None:
    """A stand-in function for numba's cache locators (they read its first line number)."""


def cache_folder() -> Path | None:
    """The folder where numba caches the kernel files' functions (they share one), found by
    numba's own locators in their order; None if numba could cache nowhere."""
    source = HERE / KERNEL_FILES[0]
    try:
        from numba.core.caching import CacheImpl

        locators = CacheImpl._locator_classes
    except (ImportError, AttributeError):  # a numba without these internals: its default
        return source.parent / "__pycache__"
    for locator_class in locators:
        locator = locator_class.from_function(_probe, str(source))
        if locator is not None:
            return Path(locator.get_cache_path())
    return None


def _record(folder: Path) -> list[str]:
    """The record in ``folder``: the hash of the sources its kernels were compiled from, then
    the folder of those sources; [] when there is none."""
    record = folder / RECORD_NAME
    return [line.strip() for line in record.read_text().splitlines()] if record.is_file() else []


def clear_stale(folder: Path, current: str) -> bool:
    """Delete the kernel files' cached functions in ``folder`` unless its record says they were
    compiled from sources of hash ``current``; record ``current`` and the sources' folder (a
    record from before that second line gets it). Returns True when it deleted them."""
    recorded = _record(folder)
    if recorded[:1] == [current]:
        if recorded[1:2] != [str(HERE)]:
            (folder / RECORD_NAME).write_text(f"{current}\n{HERE}\n")
        return False
    folder.mkdir(parents=True, exist_ok=True)
    stems = {Path(name).stem for name in KERNEL_FILES}
    for path in folder.iterdir():
        # numba names them <module>.<function>-<line>.py<version>[.<n>].nbi|nbc
        if path.suffix in NUMBA_SUFFIXES and path.name.split(".", 1)[0] in stems:
            path.unlink(missing_ok=True)
    (folder / RECORD_NAME).write_text(f"{current}\n{HERE}\n")
    return True


def refresh() -> bool:
    """Delete numba's cached kernels if their sources changed since they were cached; returns
    True when it did."""
    try:
        folder = cache_folder()
        if folder is None:
            return False
        return clear_stale(folder, digest())
    except OSError:  # a read-only installation: its sources and caches cannot change
        return False


def compiled() -> bool:
    """True when numba's cache folder holds the entry kernels, compiled from the present
    sources (a run then loads them instead of compiling for about 40 s).

    Looks first where numba caches by default (``NUMBA_CACHE_DIR``'s folders, else the
    package's ``__pycache__``) for the record of these sources, without importing numba: a
    sweep's driver asks, and never needs numba otherwise (0.3 s). Only when no record names
    them are numba's own locators asked (:func:`cache_folder`), the case that compiles anyway.
    """
    try:
        current = digest()
        folder = next((f for f in _usual_folders() if _record(f) == [current, str(HERE)]), None)
        if folder is None:
            folder = cache_folder()
            if folder is None or _record(folder)[:1] != [current]:
                return False
        cached = {path.name.split("-", 1)[0] for path in folder.glob("*.nbi")}
    except OSError:
        return False
    return all(name in cached for name in ENTRY_POINTS)


def _usual_folders() -> list[Path]:
    """Where numba caches by default: the folders of ``NUMBA_CACHE_DIR`` that hold a record,
    else the package's ``__pycache__``."""
    user = os.environ.get("NUMBA_CACHE_DIR")
    if not user:
        return [HERE / "__pycache__"]
    return [record.parent for record in Path(user).glob(f"*/{RECORD_NAME}")]
