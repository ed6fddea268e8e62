from __future__ import annotations

import re
from pathlib import Path

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


def test_set_typo_is_blamed_on_set_with_the_key_meant():
    with pytest.raises(UserError) as e:
        load_config(REPO / "conf/demo.yaml", ["search.num_sampels=3"])
    assert str(e.value) == "--set search.num_sampels: unknown key (did you mean search.num_samples?)"
    with pytest.raises(UserError) as e:
        load_config(REPO / "conf/demo.yaml", ["serch.num_samples=3"])  # a misspelt group
    assert str(e.value) == "--set serch: unknown key (did you mean search.num_samples?)"
    with pytest.raises(UserError) as e:
        load_config(REPO / "conf/demo.yaml", ["search.num_samples=0"])  # a bad value is the --set's too
    assert str(e.value).startswith("--set search.num_samples: Input should be greater than or equal to 1")


def test_file_typo_names_the_file_and_the_key_meant(tmp_path):
    p = _write(tmp_path, "data: {train: x.csv}\nsearch: {num_sample: 3}\ngenerators: {a: {modle: x.gguf}}\n")
    with pytest.raises(UserError) as e:
        load_config(p)
    assert str(e.value) == (
        f"invalid config {p}: generators.a.modle: unknown key (did you mean generators.a.model?); "
        "search.num_sample: unknown key (did you mean search.num_samples?)"
    )


def test_a_key_nothing_resembles_gets_no_suggestion(tmp_path):
    p = _write(tmp_path, "data: {train: x.csv}\nzzz: 1\n")
    with pytest.raises(UserError) as e:
        load_config(p)
    assert str(e.value) == f"invalid config {p}: zzz: unknown key"


# ----------------------------------------------------------------------------- paths


def test_paths_in_a_file_are_relative_to_its_directory(tmp_path, monkeypatch):
    conf = tmp_path / "project" / "conf"
    conf.mkdir(parents=True)
    (conf / "models").mkdir()
    p = conf / "c.yaml"
    p.write_text(
        "storage: ../runs\n"
        "data: {train: ../data/train.csv, test: /abs/test.csv}\n"
        "generator: {model: models/g.gguf}\n"
        "generators: {a: {model: smollm2-135m-instruct}, b: {model: b.gguf}}\n"
        "classifier: {model: minilm-l6}\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = load_config(p)
    assert cfg.storage == tmp_path / "project" / "runs"
    assert cfg.data.train == tmp_path / "project" / "data" / "train.csv"
    assert cfg.data.test == Path("/abs/test.csv")
    assert cfg.generator.model == str(conf / "models" / "g.gguf")
    assert cfg.generators["b"].model == str(conf / "b.gguf")
    # Bundled model names are names, not paths.
    assert cfg.generators["a"].model == "smollm2-135m-instruct" and cfg.classifier.model == "minilm-l6"


def test_a_relative_config_path_keeps_paths_relative_and_tidy(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    cfg = load_config("conf/demo.yaml")
    assert cfg.data.train == Path("data/drugsComTrain.tsv") and cfg.storage == Path("runs")


def test_set_paths_are_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config(REPO / "conf/demo.yaml", ["data.train=mine.csv", "storage=out", "generator.model=m/g.gguf"])
    assert cfg.data.train == Path("mine.csv") and cfg.storage == Path("out")
    assert cfg.generator.model == "m/g.gguf"
    assert cfg.data.test == REPO / "data" / "drugsComTest.tsv"  # still from the file, beside it


def test_file_not_found_names_the_absolute_path_it_tried(tmp_path, monkeypatch):
    from sweep.inputs import load_dataset

    (tmp_path / "conf").mkdir()
    p = tmp_path / "conf" / "c.yaml"
    p.write_text("data: {train: ../data/missing.csv}\n")
    monkeypatch.chdir(REPO)
    with pytest.raises(UserError) as e:
        load_dataset(load_config(p).data, 0)
    assert str(e.value) == f"data.train: file not found: {tmp_path / 'data' / 'missing.csv'}"


def test_the_resolved_config_of_a_run_loads_from_anywhere(tmp_path, monkeypatch):
    """resume reads <run>/config.yaml, written with absolute paths: the run directory changes nothing."""
    import yaml

    from sweep.inputs import resolved_config

    monkeypatch.chdir(REPO)
    cfg = load_config("conf/demo.yaml")
    run_dir = tmp_path / "runs" / "demo"
    run_dir.mkdir(parents=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(resolved_config(cfg, run_dir), sort_keys=False))
    monkeypatch.chdir(tmp_path)
    again = load_config(run_dir / "config.yaml")
    assert again.data.train == REPO / "data" / "drugsComTrain.tsv"
    assert again.generator.model == "smollm2-135m-instruct" and again.storage == tmp_path / "runs"


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


def test_the_recorded_config_of_a_two_generator_run_keeps_each_generator(tmp_path):
    """recorded_config assigns storage and name; re-validation must leave the generator entries typed."""
    import yaml

    from sweep.config import GeneratorConfig
    from sweep.inputs import resolved_config
    from sweep.rundir import recorded_config

    cfg = load_config(REPO / "conf" / "two_generators.yaml", ["generators.gemma.few_shot=5"])
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text(yaml.safe_dump(resolved_config(cfg, run_dir)))
    again = recorded_config(run_dir)
    assert all(isinstance(g, GeneratorConfig) for g in again.generators.values())
    assert (again.generators["gemma"].few_shot, again.generators["smollm2"].few_shot) == (5, 3)
