from __future__ import annotations

import re

import pytest

from sweep import UserError, load_config
from sweep.config import SweepConfig, config_keys

from .conftest import REPO

SHIPPED = sorted((REPO / "conf").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_config_loads(path):
    cfg = load_config(path)
    assert isinstance(cfg, SweepConfig)
    assert cfg.search.n_synthetic[0] == 0, "the baseline n_synthetic=0 must lie in the search space"


def test_shipped_configs_exist():
    assert {p.name for p in SHIPPED} >= {"demo.yaml", "cluster.yaml"}


def _write(tmp_path, text):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return p


def test_unknown_key_is_named(tmp_path):
    p = _write(tmp_path, "data: {train: x.csv}\nsearch: {num_sample: 3}\n")
    with pytest.raises(UserError, match=r"search\.num_sample: unknown key"):
        load_config(p)


def test_bad_range_is_named(tmp_path):
    p = _write(tmp_path, "data: {train: x.csv}\nsearch: {temperature: [0.9, 0.2]}\n")
    with pytest.raises(UserError, match=r"search\.temperature: low 0\.9 is above high 0\.2"):
        load_config(p)


def test_bad_type_is_named(tmp_path):
    p = _write(tmp_path, "data: {train: x.csv}\nclassifier: {mode: frozen}\n")
    with pytest.raises(UserError, match=r"classifier\.mode"):
        load_config(p)


def test_missing_required_key(tmp_path):
    p = _write(tmp_path, "name: x\n")
    with pytest.raises(UserError, match=r"data: missing required key"):
        load_config(p)


def test_set_overrides_parse_yaml_values():
    cfg = load_config(
        REPO / "conf/demo.yaml",
        ["search.num_samples=3", "search.temperature=[0.2, 0.4]", "generator.model=/x/y.gguf", "data.test=null"],
    )
    assert cfg.search.num_samples == 3
    assert cfg.search.temperature == [0.2, 0.4]
    assert cfg.generator.model == "/x/y.gguf"
    assert cfg.data.test is None


def test_set_unknown_key_is_named():
    with pytest.raises(UserError, match=r"classifier\.epoch: unknown key"):
        load_config(REPO / "conf/demo.yaml", ["classifier.epoch=3"])


def test_set_malformed():
    with pytest.raises(UserError, match="expected key.path=value"):
        load_config(REPO / "conf/demo.yaml", ["novalue"])


def test_missing_config_file():
    with pytest.raises(UserError, match="config file not found"):
        load_config("nope.yaml")


def test_every_key_has_a_docstring_and_is_documented():
    page = (REPO / "docs" / "configuration.md").read_text()
    for key, doc, _ in config_keys():
        assert doc, f"{key} has no docstring"
        assert re.search(rf"`{re.escape(key)}`", page), f"docs/configuration.md does not document {key}"
