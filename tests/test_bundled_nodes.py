"""Bundled models travel as names and resolve on the node that loads them, under content-addressed names."""

from __future__ import annotations

import os
import zipfile

import pytest

from common import (
    UserError,
    bundled_problem,
    local_classifier_path,
    node_generator_kwargs,
    resolve_classifier_model,
)
from common._bundled import _unpack_once
from trainables import ClassifierSettings


def _zip(path, payload: str):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", payload)
    return path


def test_unpacked_name_is_the_content_not_the_install_time(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHSWEEP_CACHE", str(tmp_path / "node-a"))
    archive = _zip(tmp_path / "model.zip", '{"a": 1}')
    first = _unpack_once(archive, "tiny")
    os.utime(archive, (1, 1))  # reinstalled at another time: same content, same name
    monkeypatch.setenv("SYNTHSWEEP_CACHE", str(tmp_path / "node-b"))
    second = _unpack_once(archive, "tiny")
    assert first.name == second.name and first.parent != second.parent
    assert first.name.startswith("tiny-") and len(first.name) == len("tiny-") + 16
    other = _unpack_once(_zip(tmp_path / "other.zip", '{"a": 2}'), "tiny")
    assert other.name != second.name


def test_bundled_classifier_resolves_into_this_nodes_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHSWEEP_CACHE", str(tmp_path / "cache"))
    path = resolve_classifier_model("minilm-l6")
    assert path.parent == tmp_path / "cache" / "models" and (path / "config.json").is_file()
    settings = ClassifierSettings(
        path="/driver/home/minilm",
        hash="h",
        mode="head",
        epochs=1,
        learning_rate=0.1,
        batch_size=4,
        max_length=8,
        model="minilm-l6",
    )
    here = settings.on_this_node()
    assert here.path == str(path) and here.recorded_path == "/driver/home/minilm"
    assert local_classifier_path("/some/user/dir", "/some/user/dir") == "/some/user/dir"


def test_bundled_packages_checked_without_unpacking():
    assert bundled_problem("minilm-l6") is None and bundled_problem("smollm2-135m-instruct") is None


def test_generator_path_missing_on_a_node_names_node_and_path(tmp_path):
    import socket

    missing = tmp_path / "nope.gguf"
    with pytest.raises(UserError) as e:
        node_generator_kwargs(str(missing), "generator.model", False, "llama_cpp")
    assert f"on node {socket.gethostname()}" in str(e.value) and str(missing) in str(e.value)
    kwargs = node_generator_kwargs("smollm2-135m-instruct", "generator.model", False, "llama_cpp")
    assert kwargs["model_path"].endswith(".gguf") and "convert_cache" not in kwargs


def test_trial_data_carries_texts_not_paths():
    """Training data reaches trials inside TrialData (tune.with_parameters puts it in the object store)."""
    from dataclasses import fields

    from trainables import TrialData

    assert {f.name for f in fields(TrialData)} >= {"train_texts", "train_y", "val_texts", "val_y"}
    assert not any("path" in f.name or "file" in f.name for f in fields(TrialData))
