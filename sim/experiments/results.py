"""Writing and reading a run's results folder, atomically (temp file, then rename).

A run folder holds ``summary.json``, ``timeseries.parquet``, ``avalanches.parquet`` (avalanche
mode) and ``manifest.json`` (the resolved scenario, seed, engine, package versions, timings).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from sim.model.lifecycle import RunResult

__all__ = [
    "FolderBusyError",
    "atomic_write",
    "check_writable",
    "folder_lock",
    "load_run",
    "package_versions",
    "write_run",
]

LOCK = ".lock"


class FolderBusyError(RuntimeError):
    """Another command (a sweep) is writing into the folder."""


_UMASK = os.umask(0o022)
os.umask(_UMASK)

_PACKAGES = ("massengage", "mesa", "numpy", "scipy", "networkx", "pandas", "pyarrow", "pydantic")


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of Python and the packages a result depends on (plus ``extra`` ones)."""
    versions = {"python": platform.python_version()}
    for name in (*_PACKAGES, *extra):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    A reader never sees a half-written file, and an interrupted write leaves the old file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file normal permissions
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def folder_lock(out: Path, *, create: bool = True) -> Iterator[None]:
    """Hold ``out``'s lock (``out/.lock``) while writing; one writer at a time per folder.

    The lock is an ``flock`` and dies with its process, even on SIGKILL. With ``create=False``
    a folder without a lock file (never written by a sweep) is not locked and no file is made.

    Raises
    ------
    FolderBusyError
        When another process holds the lock.
    """
    path = out / LOCK
    if not create and not path.exists():
        yield
        return
    if create:
        out.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusyError(
                f"{out}: a sweep is writing here (it holds {path}); wait for it to finish, "
                "or write elsewhere with --out"
            ) from None
        yield


def check_writable(out: Path) -> bool:
    """Make sure files can be written in ``out`` (created if missing) before any work is done.

    Creates and removes a probe file; returns whether ``out`` was created here (so that the
    caller can remove it again if the work fails). Raises :class:`OSError` (read-only file
    system, permission denied, disk full, not a folder) as the file system reports it.
    """
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe.", dir=out)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError:
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()
        raise
    return created


def _write_json(data: Any) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")

    return write


def _write_parquet(frame: pd.DataFrame) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        frame.to_parquet(tmp, index=False, engine="pyarrow")

    return write


def write_run(
    result: RunResult,
    out_dir: str | Path,
    *,
    engine: str,
    seconds: float,
    command: list[str] | None = None,
) -> list[Path]:
    """Write a run's files into ``out_dir``; returns the paths written.

    The manifest is written last, so a folder with a manifest is a complete run. If a write
    fails (a full disk), the files this call wrote are removed again and the error raised: no
    half-written run is left behind.
    """
    out = Path(out_dir)
    written: list[Path] = []
    files: list[tuple[str, Callable[[Path], None]]] = [
        ("summary.json", _write_json(result.summary)),
        ("timeseries.parquet", _write_parquet(result.timeseries)),
    ]
    if result.avalanches is not None:
        files.append(("avalanches.parquet", _write_parquet(result.avalanches)))
    stale = out / "avalanches.parquet"
    if result.avalanches is None and stale.exists():
        stale.unlink()
    manifest_path = out / "manifest.json"
    manifest_path.unlink(missing_ok=True)
    try:
        for name, write in files:
            atomic_write(out / name, write)
            written.append(out / name)
        atomic_write(manifest_path, _write_json(manifest(result, engine, seconds, command)))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    written.append(manifest_path)
    return written


def manifest(
    result: RunResult, engine: str, seconds: float, command: list[str] | None
) -> dict[str, Any]:
    """What was run, with what, and how long it took."""
    scenario = result.scenario
    source_hash = None
    if scenario.source and Path(scenario.source).exists():
        source_hash = hashlib.sha256(Path(scenario.source).read_bytes()).hexdigest()
    return {
        "format": "massengage.run/1",
        "scenario": scenario.to_dict(),
        "scenario_file": scenario.source,
        "scenario_file_sha256": source_hash,
        "seed": result.summary["seed"],
        "engine": engine,
        "versions": package_versions(),
        "platform": platform.platform(),
        "command": command if command is not None else sys.argv,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "files": ["summary.json", "timeseries.parquet"]
        + (["avalanches.parquet"] if result.avalanches is not None else []),
    }


def load_run(out_dir: str | Path) -> dict[str, Any]:
    """Read a run folder back: ``summary``, ``timeseries``, ``avalanches``, ``manifest``."""
    out = Path(out_dir)
    avalanches = out / "avalanches.parquet"
    return {
        "summary": json.loads((out / "summary.json").read_text(encoding="utf-8")),
        "timeseries": pd.read_parquet(out / "timeseries.parquet"),
        "avalanches": pd.read_parquet(avalanches) if avalanches.exists() else None,
        "manifest": json.loads((out / "manifest.json").read_text(encoding="utf-8")),
    }
