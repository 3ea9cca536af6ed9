"""numba's cache of the frontier kernels is cleared when their sources change (kernel_cache)."""

from __future__ import annotations

import json
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
    assert (tmp_path / kernel_cache.RECORD_NAME).read_text().splitlines()[0] == "new hash"
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


ENTRIES = (
    "step_kernels.one_step-573.py312.nbi",
    "step_kernels.relax-640.py312.nbi",
    "series_kernels.relax_series-28.py312.nbi",
)


def test_compiled_needs_every_entry_kernel_from_the_present_sources(tmp_path, monkeypatch):
    monkeypatch.setattr(kernel_cache, "_usual_folders", lambda: [])
    monkeypatch.setattr(kernel_cache, "cache_folder", lambda: tmp_path)
    for name in ENTRIES:
        (tmp_path / name).write_bytes(b"x")
    record = tmp_path / kernel_cache.RECORD_NAME
    assert not kernel_cache.compiled()  # no record: nothing vouches for the entries
    record.write_text(kernel_cache.digest() + "\n")
    assert kernel_cache.compiled()
    record.write_text("an older hash\n")
    assert not kernel_cache.compiled()
    record.write_text(kernel_cache.digest() + "\n")
    (tmp_path / "step_kernels.relax-640.py312.nbi").unlink()
    assert not kernel_cache.compiled()


def test_compiled_reads_numba_cache_dir_without_importing_numba(tmp_path, monkeypatch):
    """A sweep's driver asks whether the kernels are compiled and never needs numba otherwise:
    the record of a folder under NUMBA_CACHE_DIR names the sources it holds kernels of."""

    def numba_asked():
        raise AssertionError("numba's locators were asked")

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(kernel_cache, "cache_folder", numba_asked)
    folder = tmp_path / "model_0123"
    folder.mkdir()
    assert kernel_cache.clear_stale(folder, kernel_cache.digest())
    for name in ENTRIES:
        (folder / name).write_bytes(b"x")
    assert kernel_cache.compiled()
    # Another package's sources (a second checkout): numba must say where ours are cached.
    (folder / kernel_cache.RECORD_NAME).write_text(f"{kernel_cache.digest()}\n/elsewhere\n")
    monkeypatch.setattr(kernel_cache, "cache_folder", lambda: None)
    assert not kernel_cache.compiled()


# Run in a fresh process: which compiled functions (and signatures) each kernel module's
# dispatchers hold after the warm-up, then after every scenario file (small) and a classroom
# session's clicks. Anything new after the warm-up would be compiled, or loaded, at a first click.
WARM_UP_CHECK = r"""
import glob, json
import numba
from sim.model import kernels, pairwise, replay, rows, series_kernels, step_kernels, warmup
from sim.model.runner import run
from sim.model.scenario import load_scenario
from sim.app.session import ClassroomSession

def signatures():
    held = {}
    for module in (kernels, pairwise, replay, rows, series_kernels, step_kernels):
        for name, value in vars(module).items():
            if isinstance(value, numba.core.registry.CPUDispatcher):
                held[f"{module.__name__}.{name}"] = len(value.signatures)
    return held

before = signatures()
warmup.prepare_engine()
warm = signatures()
for path in sorted(glob.glob("scenarios/*.yaml")):
    scenario = load_scenario(path)
    small = ["population.size=400"] if scenario.population.size > 400 else []
    if scenario.mode.value == "avalanches":
        small.append("avalanches.count=4")
    run(load_scenario(path, small))
for path in sorted(glob.glob("scenarios/classroom/*.yaml")):
    session = ClassroomSession(path)
    session.spark()
    session.advance()
    if session.auto_spark:
        session.fast_forward(3)
after = signatures()
print(json.dumps({"before": before, "warm": warm, "after": after}))
"""


def test_the_warm_up_compiles_every_kernel_the_scenarios_and_the_classroom_call():
    """After :func:`sim.model.warmup.prepare_engine` no scenario file and no classroom click
    reaches a kernel (or a signature) it did not prepare: the first click does not wait."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", WARM_UP_CHECK],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    held = json.loads(done.stdout.strip().splitlines()[-1])
    assert not any(held["before"].values())  # a fresh process holds none
    for entry in kernel_cache.ENTRY_POINTS:
        module, name = entry.split(".")
        assert held["warm"][f"sim.model.{module}.{name}"] == 1, entry
    grown = {k: (held["warm"][k], v) for k, v in held["after"].items() if v != held["warm"][k]}
    assert not grown, grown
