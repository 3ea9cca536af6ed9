"""A sweep's results folder: column types and order, part files, what is done, consolidation.

As batches finish, the driver (:mod:`sim.experiments.sweep`) writes their rows to part files under
``results/<experiment>/parts/`` (temporary name, then rename; the runs part last, so a batch
counts as done only when all its parts are in place). At the end the parts are streamed, batch by
batch with pyarrow, into ``runs.parquet``, ``timeseries.parquet`` and ``avalanches.parquet``;
consolidation drops any run id already written, so no crash point can duplicate a row.

A folder heals on the next start (:func:`remove_orphans`, :func:`heal`): temporary files of a
killed write are removed, and a part that cannot be read (truncated, emptied) is set aside as
``*.corrupt`` so that its runs run again. Consolidated files are written in row groups of
:data:`ROW_GROUP_ROWS` rows in run-id order, so their bytes do not depend on how the runs were
batched (the number of workers).
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiments.experiment import Experiment
from sim.experiments.results import atomic_write
from sim.model.lifecycle import AVALANCHE_COLUMNS

__all__ = [
    "KINDS",
    "OUTPUTS",
    "PARTS",
    "consolidate",
    "discard_results",
    "done_mask",
    "heal",
    "load_sweep",
    "read_manifest",
    "remove_orphans",
    "typed",
    "write_part",
]

PARTS = "parts"
KINDS = ("runs", "timeseries", "avalanches")
OUTPUTS = ("runs.parquet", "timeseries.parquet", "avalanches.parquet", "manifest.json")
TABLES = OUTPUTS[:3]
ROW_GROUP_ROWS = 65_536
CORRUPT = ".corrupt"
# What the report (massengage report) writes into a sweep's folder.
REPORT_FILES = ("report.html", "report.md")
REPORT_FIGURES = ("figures", (".png", ".svg", ".pdf"))

# --------------------------------------------------------------------------------------------
# Column types and order. Outcomes that can be None in a run (conceded_at, tail_xmin) are
# nullable so that a column's dtype never depends on the random draws; floats use NaN.

_FLOAT = "float64"
_DTYPES: dict[str, str] = {
    "run_id": "int64",
    "point": "int64",
    "sample": "int64",
    "replicate": "int64",
    "seed": "int64",
    # runs.parquet outcomes (sim.model.outcomes.summarise)
    "n": "int64",
    "mode": "str",
    "steps": "int64",
    "time_to_peak": "int64",
    "global_cascade": "bool",
    "responses": "int64",
    "conceded": "bool",
    "conceded_at": "Int64",
    "avalanches": "int64",
    "avalanche_max_size": "int64",
    "tail_xmin": "Int64",
    "tail_n": "int64",
    "answered_incidents": "int64",
    # timeseries.parquet
    "step": "int64",
    "avalanche": "int64",
    "joined": "int64",
    # avalanches.parquet
    "spark": "int64",
    "start_step": "int64",
    "duration": "int64",
    "size": "int64",
    "actions": "str",
}
_NULLABLE = {"int64": "Int64", "bool": "boolean"}

# Column order of each table after the index and parameter columns; "<ch>" expands to one
# column per channel (in the experiment's channel order).
_ORDER: dict[str, list[str]] = {
    "runs": [
        "n",
        "mode",
        "steps",
        "peak_engaged",
        "final_engaged",
        "time_to_peak",
        "global_cascade",
        "final_engaged_<ch>|peak_engaged_<ch>",
        "total_signal",
        "peak_signal",
        "legitimacy_start",
        "legitimacy_min",
        "legitimacy_end",
        "responses",
        "conceded",
        "conceded_at",
        "ever_engaged",
        "engaged_share_online",
        "engaged_share_offline",
        "engaged_share_activist_neighbours",
        "engaged_share_others",
        "avalanches",
        "avalanche_mean_size",
        "avalanche_max_size",
        "avalanche_global_share",
        "tail_alpha",
        "tail_xmin",
        "tail_n",
        "answered_incidents",
        "repeat_participation",
    ],
    "timeseries": [
        "step",
        "avalanche",
        "engaged",
        "engaged_<ch>",
        "joined",
        "signal",
        "legitimacy",
        "mean_grievance",
        "responses",
        "cost_multiplier",
    ],
    "avalanches": list(AVALANCHE_COLUMNS),
}


def _column_order(kind: str, leading: list[str], channels: tuple[str, ...]) -> list[str]:
    order = list(leading)
    for name in _ORDER[kind]:
        if "<ch>" in name:
            for ch in channels:
                order += [pattern.replace("<ch>", ch) for pattern in name.split("|")]
        else:
            order.append(name)
    return order


def _ordered(columns: list[str], kind: str, leading: list[str], channels: tuple[str, ...]):
    """``columns`` in canonical order: known ones by the table's order, others sorted, last."""
    rank = {name: i for i, name in enumerate(_column_order(kind, leading, channels))}
    known = sorted((c for c in columns if c in rank), key=rank.__getitem__)
    return known + sorted(c for c in columns if c not in rank)


def typed(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """Give ``frame`` its canonical dtypes; a column with a missing value becomes nullable."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        dtype = dtypes.get(name) or _DTYPES.get(name) or _inferred(column)
        if column.isna().any():
            dtype = _NULLABLE.get(dtype, dtype)
        out[name] = column.astype(dtype) if str(column.dtype) != dtype else column
    return pd.DataFrame(out, index=range(len(frame)))


def _inferred(column: pd.Series) -> str:
    values = column.dropna()
    if len(values) and all(isinstance(v, bool | np.bool_) for v in values):
        return "bool"
    if len(values) and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values
    ):
        return "int64"
    if len(values) and all(isinstance(v, str) for v in values):
        return "str"
    return _FLOAT


# --------------------------------------------------------------------------------------------
# The results folder: parts, what is done, consolidation


def _parts(out: Path) -> dict[str, dict[str, Path]]:
    """Part files by batch token: ``{token: {kind: path}}``."""
    found: dict[str, dict[str, Path]] = {}
    folder = out / PARTS
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        match = re.fullmatch(r"(.+)\.(runs|timeseries|avalanches)\.parquet", path.name)
        if match:
            found.setdefault(match.group(1), {})[match.group(2)] = path
    return found


def _complete_parts(out: Path) -> list[dict[str, Path]]:
    """Parts of finished batches (their runs part exists), in order of their first run id."""
    return [kinds for _, kinds in sorted(_parts(out).items()) if "runs" in kinds]


def remove_orphans(out: Path) -> None:
    """Delete the parts of a batch that was cut off before its runs part was written, and the
    temporary files of any write that was killed (parts, consolidated tables, manifest).

    Called with the folder's lock held, so no live writer owns these files.
    """
    for kinds in _parts(out).values():
        if "runs" not in kinds:
            for path in kinds.values():
                path.unlink(missing_ok=True)
    folder = out / PARTS
    if folder.is_dir():
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
    for name in OUTPUTS:
        for tmp in out.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)


def heal(out: Path) -> list[str]:
    """Set aside unreadable parts and tables (renamed ``*.corrupt``) so their runs run again.

    A part is checked by reading its footer (and a runs part's run ids); a batch with any bad
    part is set aside whole. If a consolidated table cannot be read, all consolidated tables are
    set aside, since a run must be in all of them or in none. Returns one line per problem.
    """
    messages = []
    for kinds in _parts(out).values():
        bad = next((path for path in kinds.values() if not _readable(path)), None)
        if bad is not None:
            for path in kinds.values():
                path.replace(path.with_name(path.name + CORRUPT))
            messages.append(
                f"{bad}: cannot be read (truncated or emptied); its batch is set aside as "
                f"*{CORRUPT} and its runs will run again"
            )
    tables = [out / name for name in TABLES if (out / name).exists()]
    bad = next((path for path in tables if not _readable(path)), None)
    if bad is not None:
        for path in tables:
            path.replace(path.with_name(path.name + CORRUPT))
        messages.append(
            f"{bad}: cannot be read (truncated or emptied); the consolidated tables are set "
            f"aside as *{CORRUPT} and their runs will run again"
        )
    return messages


def _readable(path: Path) -> bool:
    try:
        metadata = pq.read_metadata(path)
        if path.name.endswith(".runs.parquet") or path.name == "runs.parquet":
            pq.read_table(path, columns=["run_id"])
    except (OSError, pa.ArrowException, KeyError):
        return False
    return metadata.num_columns > 0


def discard_results(out: Path, *, report: bool) -> None:
    """Delete the files a sweep writes in ``out`` (``--fresh``), and nothing else.

    Only known names are removed: the consolidated tables and manifest, part files (and their
    temporary and set-aside versions) under ``parts/``; with ``report`` also the report's files
    (``report.html``, ``report.md``, figures under ``figures/``). A folder is removed only when
    it is left empty.
    """
    for name in (*OUTPUTS, *(t + CORRUPT for t in TABLES), *(REPORT_FILES if report else ())):
        (out / name).unlink(missing_ok=True)
    for name in OUTPUTS:
        for tmp in out.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)
    part = re.compile(r"(.+\.(runs|timeseries|avalanches)\.parquet(\.corrupt)?|\..+\.tmp)")
    _remove_matching(out / PARTS, lambda p: bool(part.fullmatch(p.name)))
    if report:
        folder, suffixes = REPORT_FIGURES
        _remove_matching(out / folder, lambda p: p.suffix in suffixes)


def _remove_matching(folder: Path, match) -> None:
    if not folder.is_dir() or folder.is_symlink():
        return
    for path in folder.iterdir():
        if path.is_file() and not path.is_symlink() and match(path):
            path.unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when empty


def done_mask(out: Path, total: int) -> np.ndarray:
    """Which run ids are finished: in ``runs.parquet`` or in a complete part."""
    done = np.zeros(total, dtype=bool)
    sources = [out / "runs.parquet"] if (out / "runs.parquet").exists() else []
    sources += [kinds["runs"] for kinds in _complete_parts(out)]
    for path in sources:
        ids = pq.read_table(path, columns=["run_id"])["run_id"].to_numpy()
        done[ids[(ids >= 0) & (ids < total)]] = True
    return done


def write_part(out: Path, token: str, kind: str, frame: pd.DataFrame) -> None:
    path = out / PARTS / f"{token}.{kind}.parquet"
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow"))


def consolidate(out: Path, experiment: Experiment) -> list[str]:
    """Stream the complete parts (and any earlier consolidated file) into the result files.

    Each table is written to a temporary file, then renamed; runs last, then the parts are
    deleted. Rows of a run id already taken from an earlier input are dropped, so a crash at any
    point of a previous consolidation cannot duplicate a run.
    """
    parts = _complete_parts(out)
    written = []
    leading = {
        "runs": [*experiment.fixed_columns, *(p.key for p in experiment.parameters)],
        "timeseries": ["run_id", *(p.key for p in experiment.parameters)],
        "avalanches": ["run_id", *(p.key for p in experiment.parameters)],
    }
    dtypes = {p.key: p.dtype for p in experiment.parameters}
    for kind in ("timeseries", "avalanches", "runs"):
        target = out / f"{kind}.parquet"
        inputs = ([target] if target.exists() else []) + [k[kind] for k in parts if kind in k]
        if not inputs:
            if kind == "runs":
                empty = pd.DataFrame({c: [] for c in leading["runs"]})
                frame = typed(empty, dtypes)
                atomic_write(target, lambda tmp, f=frame: f.to_parquet(tmp, index=False))
                written.append(target.name)
            continue
        if inputs == [target]:
            written.append(target.name)
            continue
        schema = _target_schema(inputs, kind, leading[kind], experiment.channel_order)
        atomic_write(target, lambda tmp, i=inputs, s=schema: _stream(i, s, tmp, experiment.n_runs))
        written.append(target.name)
    for kinds in parts:
        for path in kinds.values():
            path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        (out / PARTS).rmdir()
    return [name for name in OUTPUTS if name in written]


def _target_schema(
    inputs: list[Path], kind: str, leading: list[str], channels: tuple[str, ...]
) -> pa.Schema:
    """The consolidated schema: the union of the inputs' columns in canonical order, each with
    its dtype; a column some input lacks (or holds missing values in) becomes nullable."""
    dtypes: dict[str, str] = {}
    nullable: set[str] = set()
    seen: list[set[str]] = []
    for path in inputs:
        empty = pq.read_schema(path).empty_table().to_pandas()
        seen.append(set(empty.columns))
        for name, dtype in empty.dtypes.items():
            text = str(dtype)
            if text in _NULLABLE.values():
                nullable.add(name)
                text = next(k for k, v in _NULLABLE.items() if v == text)
            dtypes.setdefault(name, text)
    columns = _ordered(list(dtypes), kind, leading, channels)
    for name in columns:
        if any(name not in s for s in seen):
            nullable.add(name)
    frame = pd.DataFrame(
        {
            name: pd.Series(
                [],
                dtype=_NULLABLE.get(dtypes[name], dtypes[name])
                if name in nullable
                else dtypes[name],
            )
            for name in columns
        }
    )
    return pa.Schema.from_pandas(frame, preserve_index=False)


def _stream(inputs: list[Path], schema: pa.Schema, tmp: Path, total: int) -> None:
    """Copy ``inputs`` into one file, dropping run ids already taken, in fixed row groups."""
    taken = np.zeros(total, dtype=bool)
    pending: list[pa.Table] = []
    rows = 0
    with pq.ParquetWriter(tmp, schema) as writer:
        for path in inputs:
            this = np.zeros(total, dtype=bool)
            source = pq.ParquetFile(path)
            for record_batch in source.iter_batches(batch_size=ROW_GROUP_ROWS):
                table = pa.Table.from_batches([record_batch])
                ids = table["run_id"].to_numpy()
                keep = ~taken[ids]
                this[ids] = True
                if not keep.all():
                    table = table.filter(pa.array(keep))
                if table.num_rows:
                    pending.append(_conform(table, schema))
                    rows += table.num_rows
                if rows >= ROW_GROUP_ROWS:
                    rows = _flush(writer, pending, whole_groups=True)
            taken |= this
        _flush(writer, pending, whole_groups=False)


def _flush(writer: pq.ParquetWriter, pending: list[pa.Table], *, whole_groups: bool) -> int:
    """Write the buffered rows as row groups of exactly :data:`ROW_GROUP_ROWS` rows (and, at the
    end, the remainder); keeps what is left over in ``pending``, returns its row count."""
    if not pending:
        return 0
    table = pa.concat_tables(pending)
    pending.clear()
    full = (table.num_rows // ROW_GROUP_ROWS) * ROW_GROUP_ROWS
    cut = full if whole_groups else table.num_rows
    if cut:
        writer.write_table(table.slice(0, cut), row_group_size=ROW_GROUP_ROWS)
    if cut < table.num_rows:
        pending.append(table.slice(cut))
    return table.num_rows - cut


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = []
    for f in schema:
        if f.name in table.column_names:
            columns.append(table[f.name].cast(f.type))
        else:
            columns.append(pa.nulls(table.num_rows, type=f.type))
    return pa.Table.from_arrays(columns, schema=schema)


def load_sweep(out_dir: str | Path, *, timeseries: bool = True) -> dict[str, Any]:
    """Read a sweep's results: ``runs`` (sorted by run id), ``timeseries``, ``avalanches``
    (None when absent) and ``manifest``."""
    out = Path(out_dir)

    def read(name: str) -> pd.DataFrame | None:
        path = out / name
        if not path.exists():
            return None
        frame = pd.read_parquet(path)
        return (
            frame.sort_values("run_id", kind="stable", ignore_index=True)
            if name == "runs.parquet"
            else frame
        )

    return {
        "runs": read("runs.parquet"),
        "timeseries": read("timeseries.parquet") if timeseries else None,
        "avalanches": read("avalanches.parquet"),
        "manifest": json.loads((out / "manifest.json").read_text(encoding="utf-8")),
    }


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The folder's ``manifest.json``: None when there is none, ``{}`` when it cannot be read."""
    path = out / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
