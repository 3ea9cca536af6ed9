"""Scenario files: loading, ``--set`` overrides and one-line error messages.

One scenario describes one world (DESIGN.md section 5); its schema is :mod:`sim.model.schema`.
Unknown keys, wrong types and out-of-range values are errors that name the file, the key path and
what was expected::

    scenarios/x.yaml: channels[2].cost: must be >= 0, got -0.1

`load_scenario` is the one entry point; `--set key.path=value` overrides go through
`apply_overrides`, typed by the same schema.
"""

from __future__ import annotations

import copy
import re
import reprlib
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.model.schema import NAME_PATTERN, Action, Scenario, ScenarioError, Section

__all__ = [
    "Scenario",
    "ScenarioError",
    "Section",
    "apply_overrides",
    "format_error",
    "load_scenario",
    "parse_override",
    "read_yaml_mapping",
    "shown",
]

# A scenario or experiment file larger than this is refused before it is read: a million
# per-citizen values take about 10 MB.
MAX_FILE_BYTES = 256 * 1024 * 1024


def load_scenario(
    source: str | Path | Mapping[str, Any] | Scenario,
    overrides: Sequence[str] | Mapping[str, Any] | None = None,
) -> Scenario:
    """Load and validate a scenario from a YAML file, a mapping, or a scenario to override.

    Parameters
    ----------
    source
        Path to a YAML file, a mapping with the same structure, or a :class:`Scenario` (its
        file, if it came from one, still anchors relative graph-file paths).
    overrides
        ``["key.path=value", ...]`` strings (values parsed as YAML) or a mapping
        ``{"key.path": value}``; list items are addressed as ``channels[0].cost``.

    Returns
    -------
    Scenario
        The validated, frozen scenario.

    Raises
    ------
    ScenarioError
        With a one-line message ``<file>: <key.path>: <what was expected>``.
    """
    if isinstance(source, Scenario):
        if not overrides:
            return source
        label, raw, origin = source.source or "<scenario>", source.to_dict(), source.source
    elif isinstance(source, Mapping):
        label, raw = "<scenario>", copy.deepcopy(dict(source))
        origin = None
    else:
        path = Path(source)
        label = str(source)
        _, raw = read_yaml_mapping(path, label)
        origin = str(path.resolve())
    pairs = _override_pairs(overrides, label)
    try:
        if pairs:
            label = f"{label} (with --set {', '.join(k for k, _ in pairs)})"
            base = _validate(raw, label, origin)
            raw = apply_overrides(raw, base, pairs, label)
        return _validate(raw, label, origin)
    except RecursionError:
        raise ScenarioError(f"{label}: values are nested too deeply") from None


def read_yaml_mapping(
    path: Path, label: str, what: str = "scenario", error: type[ScenarioError] = ScenarioError
) -> tuple[str, dict[str, Any]]:
    """Read a YAML file whose top level is a mapping of ``what`` keys; returns (text, mapping).

    Only a regular file is opened (a FIFO or a device is refused before it can block or stream
    forever), and only up to :data:`MAX_FILE_BYTES`. The YAML is read by :func:`safe_yaml`:
    aliases and duplicate keys are errors. Every problem (missing file, a folder, unreadable,
    invalid YAML, empty, not a mapping) is raised as ``error`` with a one-line message that
    starts with ``label``; the message never quotes the file's content beyond a short value.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise error(f"{label}: no such file") from None
    except OSError as exc:
        raise error(f"{label}: cannot read file: {exc.strerror or type(exc).__name__}") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{label}: is a directory, expected a YAML {what} file")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{label}: not a regular file (a pipe, a device); expected a YAML {what} file")
    if info.st_size > MAX_FILE_BYTES:
        raise error(
            f"{label}: file is {info.st_size / 2**20:.0f} MB, larger than the "
            f"{MAX_FILE_BYTES // 2**20} MB a {what} file may be"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{label}: cannot read file: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise error(f"{label}: cannot read file: {exc.strerror or type(exc).__name__}") from None
    try:
        raw = safe_yaml(text)
    except yaml.YAMLError as exc:
        raise error(f"{label}: {_yaml_reason(exc)}") from None
    except RecursionError:
        raise error(f"{label}: invalid YAML: values are nested too deeply") from None
    if raw is None:
        raise error(f"{label}: file is empty, expected a mapping of {what} keys")
    if not isinstance(raw, dict):
        raise error(
            f"{label}: expected a mapping of {what} keys at the top level, got {type(raw).__name__}"
        )
    return text, raw


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader, with duplicate keys as errors (it would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {shown(key)}", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def safe_yaml(text: str) -> Any:
    """Parse YAML text with the safe loader (libyaml's when present), refusing aliases.

    An alias (``*name``) lets a few hundred bytes describe gigabytes once expanded (a "billion
    laughs" file); no scenario needs one, so any alias is an error naming its line. Duplicate
    keys are errors too. Raises :class:`yaml.YAMLError`.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _refuse_aliases(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _refuse_aliases(root: yaml.Node) -> None:
    """Raise at the first node reached twice: the composer makes an alias the anchored node."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Any]] = [(root, root.start_mark)]
    while stack:
        node, mark = stack.pop()
        if id(node) in seen:
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed; write the value out", mark
            )
        seen.add(id(node))
        children: list[tuple[yaml.Node, Any]] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                children += [(key, key.start_mark), (value, key.start_mark)]
        elif isinstance(node, yaml.SequenceNode):
            previous = node.start_mark
            for item in node.value:
                children.append((item, previous))
                previous = item.end_mark
        stack.extend(reversed(children))  # visited in file order: the second use is the alias


def _yaml_reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"{where}invalid YAML: {_cut(problem)}"


_REPR = reprlib.Repr(maxstring=80, maxother=80, maxlist=6, maxtuple=6, maxdict=4, maxlevel=2)
MAX_MESSAGE = 400


def shown(value: Any) -> str:
    """A value as an error message shows it: its ``repr``, cut to about 80 characters."""
    return _REPR.repr(value)


def _cut(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _validate(raw: dict[str, Any], label: str, origin: str | None) -> Scenario:
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(format_error(exc, raw, label)) from None
    scenario._source = origin
    return scenario


def format_error(exc: ValidationError, raw: Any, label: str) -> str:
    err = exc.errors(include_url=False)[0]
    path = _key_path(err["loc"], raw)
    kind, ctx, given = err["type"], err.get("ctx", {}), err.get("input")
    message = _cut(err["msg"], MAX_MESSAGE)
    if kind == "unknown_key":
        path = _join(path, ctx["key"])
        message = f"unknown key; expected one of: {ctx['expected']}"
    elif kind == "consistency":
        located = re.match(r"@(.*?)@ (.*)", message)
        if located:
            path, message = located.group(1), located.group(2)
    elif kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        op = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than_equal": "<=",
            "less_than": "<",
        }[kind]
        bound = next(iter(ctx.values()))
        message = f"must be {op} {bound}, got {shown(given)}"
    elif kind == "union_tag_invalid":
        path = _join(path, ctx["discriminator"].strip("'"))
        message = f"expected one of {ctx['expected_tags']}, got {shown(ctx['tag'])}"
    elif kind == "union_tag_not_found":
        path = _join(path, ctx["discriminator"].strip("'"))
        message = "missing; this key selects the kind of entry"
    elif kind == "missing":
        message = "required key is missing"
    elif kind in {"enum", "literal_error"}:
        message = f"expected {ctx.get('expected')}, got {shown(given)}"
    elif kind.endswith("_type") or kind.endswith("_parsing"):
        expected = {
            "float": "a number",
            "int": "an integer",
            "bool": "true or false",
            "string": "a string",
            "list": "a list",
            "dict": "a mapping",
            "model": "a mapping",
        }.get(kind.split("_")[0], kind.split("_")[0])
        message = f"expected {expected}, got {shown(given)}"
    elif kind == "too_short":
        message = (
            f"expected at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
        )
    elif kind == "string_pattern_mismatch" and ctx.get("pattern") == NAME_PATTERN:
        message = (
            "expected a plain file name (letters, digits, _ . -; not starting with a dot), "
            f"got {shown(given)}"
        )
    elif kind == "string_pattern_mismatch":
        message = f"expected a name matching {ctx.get('pattern')}, got {shown(given)}"
    elif kind == "finite_number":
        message = f"expected a finite number, got {shown(given)}"
    message = _cut(message, MAX_MESSAGE)
    if path == "":
        return f"{label}: {message}"
    return f"{label}: {_cut(path)}: {message}"


def _key_path(loc: Sequence[Any], raw: Any) -> str:
    """Turn a pydantic location into a key path, dropping union tags that are not keys."""
    path, node, tag_skipped = "", raw, None
    for part in loc:
        if (
            isinstance(node, Mapping)
            and tag_skipped is not node
            and any(node.get(tag) == part for tag in _DISCRIMINATORS)
        ):
            tag_skipped = node  # the union tag pydantic inserts after a discriminated field
            continue
        if isinstance(part, int) and isinstance(node, list):
            path = f"{path}[{part}]"
            node = node[part] if part < len(node) else None
        elif isinstance(node, Mapping) and part in node:
            path = _join(path, str(part))
            node = node[part]
        elif isinstance(node, Mapping) or node is None:
            # A union tag (e.g. 'normal') or a field absent from the input (a default).
            if part in _TAGS:
                continue
            path = _join(path, str(part))
            node = None
        else:
            continue
    return path


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_DISCRIMINATORS = ("dist", "kind", "action")

_TAGS = {
    "fixed",
    "uniform",
    "normal",
    "beta",
    "values",
    "erdos_renyi",
    "watts_strogatz",
    "barabasi_albert",
    "stochastic_block",
    "complete",
    "file",
    *(a.value for a in Action),
}

_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``"key.path=value"`` and parse the value as YAML (``0.1``, ``true``, ``[1, 2]``)."""
    if "=" not in text:
        raise ScenarioError(f"--set {text}: expected key.path=value")
    key, _, value = text.partition("=")
    key = key.strip()
    if not key:
        raise ScenarioError(f"--set {text}: expected key.path=value")
    try:
        parsed = safe_yaml(value) if value.strip() else ""
    except yaml.YAMLError as exc:
        raise ScenarioError(f"--set {key}: value is not valid YAML: {_yaml_reason(exc)}") from None
    return key, parsed


def _override_pairs(
    overrides: Sequence[str] | Mapping[str, Any] | None, label: str
) -> list[tuple[str, Any]]:
    if not overrides:
        return []
    if isinstance(overrides, Mapping):
        return list(overrides.items())
    return [parse_override(text) for text in overrides]


def _split_path(key: str, label: str) -> list[str | int]:
    parts: list[str | int] = []
    pos = 0
    for match in _PATH_TOKEN.finditer(key):
        if match.start() != pos and key[pos : match.start()] not in {".", ""}:
            raise ScenarioError(f"{label}: {key}: malformed key path")
        name, index = match.groups()
        parts.append(int(index) if index is not None else (int(name) if name.isdigit() else name))
        pos = match.end()
    if not parts or pos != len(key):
        raise ScenarioError(f"{label}: {key}: malformed key path")
    return parts


def apply_overrides(
    raw: dict[str, Any], base: Scenario, pairs: Sequence[tuple[str, Any]], label: str
) -> dict[str, Any]:
    """Return a copy of ``raw`` with each ``(key.path, value)`` set.

    Missing intermediate sections are filled from the validated ``base`` so that, for example,
    ``channels[0].cost`` works on a file that does not list channels.
    """
    data = copy.deepcopy(raw)
    full = base.model_dump(mode="json")
    for key, value in pairs:
        parts = _split_path(key, label)
        node, ref = data, full
        for depth, part in enumerate(parts[:-1]):
            where = _format_path(parts[: depth + 1])
            ref = _child(ref, part)
            if isinstance(node, list):
                if not isinstance(part, int) or not 0 <= part < len(node):
                    raise ScenarioError(f"{label}: {where}: no such list item")
                node = node[part]
            elif isinstance(node, dict):
                if isinstance(part, int):
                    raise ScenarioError(f"{label}: {where}: not a list")
                if part not in node:
                    # A list must be copied whole from the defaults; a section starts empty so
                    # that changing its kind does not drag in the old kind's keys.
                    next_is_index = isinstance(parts[depth + 1], int)
                    node[part] = copy.deepcopy(ref) if next_is_index and ref is not None else {}
                node = node[part]
            else:
                raise ScenarioError(f"{label}: {where}: is a value, not a section")
        last = parts[-1]
        if isinstance(node, list):
            if not isinstance(last, int) or not 0 <= last < len(node):
                raise ScenarioError(f"{label}: {key}: no such list item")
            node[last] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ScenarioError(f"{label}: {key}: parent is a value, not a section")
    return data


def _format_path(parts: Sequence[str | int]) -> str:
    """``["channels", 0, "cost"]`` -> ``channels[0].cost``."""
    path = ""
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else _join(path, part)
    return path


def _child(ref: Any, part: str | int) -> Any:
    if isinstance(ref, dict) and isinstance(part, str):
        return ref.get(part)
    if isinstance(ref, list) and isinstance(part, int) and 0 <= part < len(ref):
        return ref[part]
    return None
