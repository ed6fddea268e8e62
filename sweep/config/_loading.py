"""Loading a config file: ``--set`` overrides, paths relative to the file, one-line errors naming the key."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from common import UserError

from ._keys import config_keys
from ._schema import SweepConfig


def _known_keys() -> list[str]:
    """Every dotted leaf key and every group name: what a misspelt key is compared with."""
    leaves = [key for key, _, _ in config_keys()]
    groups = {key.rsplit(".", i)[0] for key in leaves for i in range(1, key.count(".") + 1)}
    return leaves + sorted(groups)


def _suggest(key: str) -> str:
    """`` (did you mean <closest known key>?)``, or nothing when no key is close."""
    candidates = _known_keys()
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "generators":  # generators.<name>.<generator key>
        prefix = f"generators.{parts[1]}."
        candidates = [prefix + k.removeprefix("generator.") for k in candidates if k.startswith("generator.")]
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _from_set(key: str, set_keys: list[str]) -> str | None:
    """The ``--set`` key that ``key``'s error comes from, if any."""
    for s in set_keys:
        if key == s or key.startswith(s + ".") or s.startswith(key + "."):
            return s
    return None


def _format_error(err: ValidationError, source: str, set_keys: list[str] | None = None) -> str:
    """One line; errors of ``--set`` values say so, the others name the file."""
    from_file: list[str] = []
    from_set: list[str] = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"] if not isinstance(p, int))
        msg = e["msg"].removeprefix("Value error, ")
        # A model-level check names its key at the start of its message instead of in ``loc``.
        given = _from_set(key or msg.split(":", 1)[0], set_keys or [])
        if e["type"] == "extra_forbidden":
            # Pydantic names the first unknown level; the full --set key finds a closer suggestion.
            msg = "unknown key" + _suggest(given if given and given.startswith(key + ".") else key)
        elif e["type"] == "missing":
            msg = "missing required key"
        part = f"{key}: {msg}" if key and not msg.startswith(key) else msg
        (from_set if given else from_file).append(part)
    parts = [f"--set {p}" for p in from_set]
    if from_file:
        parts.append(f"invalid config {source}: " + "; ".join(from_file))
    return "; ".join(parts)


def _set_path(tree: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = tree
    for k in keys[:-1]:
        child = node.get(k)
        if child is None:
            child = node[k] = {}
        if not isinstance(child, dict):
            raise UserError(f"--set {dotted}: {k} is not a group of keys")
        node = child
    node[keys[-1]] = value


def apply_overrides(tree: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """Apply ``key.path=value`` overrides; values are parsed as YAML (``[0.5, 0.9]``, ``3``, ``null``)."""
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep or not key or not re.fullmatch(r"[A-Za-z_][\w.]*", key):
            raise UserError(f"--set {item!r}: expected key.path=value")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        _set_path(tree, key, value)
    return tree


_PATH_KEYS = (("storage",), ("data", "train"), ("data", "test"))
_MODEL_KEYS = (("generator", "model"), ("classifier", "model"))


def _from_config_dir(value: Any, base: Path, model: bool = False) -> Any:
    """A relative path in a config file, joined to the file's directory (as docker compose does).

    A model value is a path only when it looks like one (a separator, ``.gguf``, or an existing
    file beside the config); otherwise it is a bundled model name and left alone.
    """
    if not isinstance(value, str) or not value.strip():
        return value
    path = Path(value).expanduser()
    if path.is_absolute():
        return str(path)
    if model and os.sep not in value and "/" not in value and not value.endswith(".gguf"):
        if not (base / value).exists():
            return value
    joined = base / path
    tidy = Path(os.path.normpath(joined))  # conf/../data/x.tsv -> data/x.tsv, unless a symlink says otherwise
    return str(tidy if tidy.resolve() == joined.resolve() else joined)


def resolve_config_paths(tree: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make the relative file paths of a config file's ``tree`` relative to ``base`` (its directory)."""
    for keys, model in [*((k, False) for k in _PATH_KEYS), *((k, True) for k in _MODEL_KEYS)]:
        node = tree
        for k in keys[:-1]:
            node = node.get(k) if isinstance(node, dict) else None
        if isinstance(node, dict) and keys[-1] in node:
            node[keys[-1]] = _from_config_dir(node[keys[-1]], base, model)
    if isinstance(tree.get("generators"), dict):
        for entry in tree["generators"].values():
            if isinstance(entry, dict) and "model" in entry:
                entry["model"] = _from_config_dir(entry["model"], base, model=True)
    return tree


def load_config(path: str | Path, overrides: list[str] | None = None) -> SweepConfig:
    """Load a YAML config, apply ``--set`` overrides, validate; raise UserError naming the key.

    Relative paths in the file are relative to the file's directory; those given with ``--set``
    to the working directory, as the user typed them.
    """
    p = Path(path)
    if not p.is_file():
        raise UserError(f"config file not found: {p.absolute()}")
    try:
        tree = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise UserError(f"config {p} is not valid YAML{where}") from None
    if not isinstance(tree, dict):
        raise UserError(f"config {p} must be a mapping of keys")
    resolve_config_paths(tree, p.parent)
    apply_overrides(tree, overrides)
    set_keys = [item.partition("=")[0] for item in overrides or []]
    try:
        return SweepConfig.model_validate(tree)
    except ValidationError as e:
        raise UserError(_format_error(e, str(p), set_keys)) from None
