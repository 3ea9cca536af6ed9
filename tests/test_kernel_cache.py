"""numba's cache of the frontier kernels is cleared when their sources change (kernel_cache)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sim.model import kernel_cache


def _fake_entries(folder: Path) -> list[Path]:
    names = [
        "kernels.set_channels-271.py312.nbi",
        "kernels.set_channels-271.py312.1.nbc",
        "step_kernels.relax-616.py312.nbi",
        "step_kernels.relax-616.py312.2.nbc",
        "series_kernels.relax_series-28.py312.nbi",
        "replay._gnp-222.py312.nbi",  # not a kernel file: its own source guards it
        "rules.willing-147.py312.1.nbc",
        "kernels.cpython-312.pyc",  # Python's own cache: not numba's
    ]
    for name in names:
        (folder / name).write_bytes(b"x")
    return [folder / name for name in names]


def test_entries_compiled_from_other_sources_are_deleted_and_the_rest_kept(tmp_path):
    entries = _fake_entries(tmp_path)
    (tmp_path / kernel_cache.RECORD_NAME).write_text("an older hash\n")
    assert kernel_cache.clear_stale(tmp_path, "new hash")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(
        [
            "replay._gnp-222.py312.nbi",
            "rules.willing-147.py312.1.nbc",
            "kernels.cpython-312.pyc",
            kernel_cache.RECORD_NAME,
        ]
    )
    assert (tmp_path / kernel_cache.RECORD_NAME).read_text().strip() == "new hash"
    # Compiled again from the recorded sources: kept from now on.
    _fake_entries(tmp_path)
    assert not kernel_cache.clear_stale(tmp_path, "new hash")
    assert all(p.exists() for p in entries)


def test_a_folder_without_a_record_is_cleared(tmp_path):
    _fake_entries(tmp_path)
    assert kernel_cache.clear_stale(tmp_path, "hash")
    assert not (tmp_path / "step_kernels.relax-616.py312.nbi").exists()


def test_the_folder_is_the_one_numba_caches_in(tmp_path):
    """NUMBA_CACHE_DIR moves numba's cache, and the record with it: a benchmark's fresh cache
    does not vouch for the package's own."""
    code = (
        "from sim.model import kernel_cache, kernels\n"
        "print(kernel_cache.cache_folder())\n"
        "print(sorted(p.name for p in kernel_cache.cache_folder().iterdir()))\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    folder, listing = done.stdout.strip().splitlines()
    assert Path(folder).is_relative_to(tmp_path)
    assert kernel_cache.RECORD_NAME in listing  # recorded there, at the first import
