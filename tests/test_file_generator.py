"""The `file` backend: examples written elsewhere, served through the same pools, cache and filters."""

from __future__ import annotations

import pandas as pd
import pytest

from generators import PoolBuilder, PoolSource, PromptSpec, SweepData, SyntheticCache, backend_config
from generators._cleaning import FilterSettings
from generators.file import ExamplesFileError, read_examples
from generators.file.model import FileGenerator
from sweep.cli import main
from sweep.config import SearchSpace, load_config
from sweep.inputs import generate_examples

from .conftest import REPO

DEMO = REPO / "conf" / "demo.yaml"
LABELS = ("negative", "positive")


_WORDS = "headache nausea sleep appetite rash dizziness anxiety weight energy mood pain focus".split()


def _rows(n: int = 5) -> list[dict[str, str]]:
    """Texts different enough that the near-duplicate filter keeps every one."""
    return [
        {"review": f"{kind} {_WORDS[i]} {_WORDS[-1 - i]} after week {i + 1} of this medicine", "rating": lab}
        for lab, kind in (("negative", "awful"), ("positive", "lovely"))
        for i in range(n)
    ]


def _write(path, rows) -> str:
    df = pd.DataFrame(rows)
    if path.suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True)
    else:
        df.to_csv(path, sep="\t" if path.suffix == ".tsv" else ",", index=False)
    return str(path)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_reads_each_format_by_the_data_columns(tmp_path, suffix):
    path = _write(tmp_path / f"ex{suffix}", _rows(3))
    by_label = read_examples(path, "review", "rating", LABELS)
    assert list(by_label) == list(LABELS) and [len(v) for v in by_label.values()] == [3, 3]


@pytest.mark.parametrize(
    "rows, columns, message",
    [
        ([], ("review", "rating"), "has no rows"),
        (_rows(1), ("body", "rating"), "column 'body' not in"),
        ([{"review": "a secret patient note", "rating": "neutral"}], ("review", "rating"), "label 'neutral'"),
        ([{"review": "a secret patient note", "rating": ""}], ("review", "rating"), "1 rows of"),
        ([{"review": "  ", "rating": "negative"}], ("review", "rating"), r"have empty text \(first at row 1\)"),
    ],
)
def test_a_bad_file_is_one_line_that_shows_no_text(tmp_path, rows, columns, message):
    path = tmp_path / "ex.csv"
    if rows:
        _write(path, rows)
    else:
        path.write_text("review,rating\n")
    with pytest.raises(ExamplesFileError, match=message) as e:
        read_examples(path, *columns, LABELS)
    assert "secret" not in str(e.value) and "\n" not in str(e.value)


def test_label_set_rows_serve_the_pool_of_their_whole_set_in_the_data_s_order(tmp_path):
    from generators import GenerationRequest

    labels = ("pain", "sleep", "mood")
    rows = [
        {"review": "pain kept me up all night", "rating": "sleep;pain"},
        {"review": "my knee aches", "rating": "pain"},
        {"review": "low and tired, sleeping badly", "rating": "mood; sleep ;mood"},
    ]
    path = _write(tmp_path / "ex.csv", rows)
    by_key = read_examples(path, "review", "rating", labels, ";")
    assert {k: len(v) for k, v in by_key.items()} == {
        "pain": 1,
        "sleep": 0,
        "mood": 0,
        "pain;sleep": 1,
        "sleep;mood": 1,
    }
    data = SweepData("review", "rating", labels, 0, label_separator=";")
    generator = FileGenerator(**vars(backend_config("file").from_generator(None, path, data=data)))
    request = GenerationRequest(
        "pain;sleep", (), temperature=0.7, seed=0, max_new_tokens=8, system_prompt="", user_prompt=""
    )
    texts = generator.generate([request])
    assert texts[0].text == "pain kept me up all night"
    rows.append({"review": "a secret patient note", "rating": "pain;itch"})
    with pytest.raises(ExamplesFileError, match=r"label 'itch' in .* \(row 4\) is not a class") as e:
        read_examples(_write(tmp_path / "bad.csv", rows), "review", "rating", labels, ";")
    assert "secret" not in str(e.value)


def _generator(path, seed=0) -> FileGenerator:
    config = backend_config("file").from_generator(None, str(path), data=SweepData("review", "rating", LABELS, seed))
    return FileGenerator(**vars(config))


def _source(spp: int = 2) -> PoolSource:
    spec = PromptSpec("s", "u", "t", few_shot=1, samples_per_prompt=spp, shot_max_chars=100, max_new_tokens=8, seed=0)
    shots = {lab: [f"a real {lab} training text, long enough"] for lab in LABELS}
    return PoolSource("file-hash", spec, shots, min_chars=10, filters=FilterSettings(language_ratio=None))


def _pool(builder: PoolBuilder, model: FileGenerator, n: int) -> None:
    while builder.missing(n):
        groups = builder.plan(n, max_groups=2)
        builder.add(groups, [model.generate(g) for g in groups])


def test_each_row_is_served_once_in_a_seeded_order_and_the_pool_ends_with_the_file(tmp_path):
    path = _write(tmp_path / "ex.csv", _rows(5))
    model = _generator(path)
    cache = SyntheticCache(tmp_path / "s.sqlite")
    builder = PoolBuilder(_source(), cache, "negative", 0.7)
    _pool(builder, model, 8)
    result = builder.result(8)
    assert result.exhausted and len(result.texts) == 5 == len(set(result.texts))
    assert all(t.startswith("awful") for t in result.texts)
    assert builder.next_index == 5, "no attempt is spent past the end of the file"
    # The same pool again: all five from the cache, in the same order.
    again = PoolBuilder(_source(), cache, "negative", 0.7)
    _pool(again, model, 8)
    assert again.result(8).texts == result.texts and again.result(8).from_cache == 5
    # Another seed, another order of the same rows.
    orders = {tuple(_generator(path, seed=s)._rows["negative"]) for s in range(4)}
    assert len(orders) > 1 and all(sorted(o) == sorted(result.texts) for o in orders)


def test_an_llm_config_works_as_a_file_with_two_keys_and_says_what_it_ignores(tmp_path):
    path = _write(tmp_path / "ex.jsonl", _rows(3))
    cfg = load_config(DEMO, ["generator.backend=file", f"generator.model={path}", "generator.gpus=1"])
    notes = cfg.notes()
    assert len(notes) == 2
    assert notes[0].startswith("note: generator reads a file of examples; keys only an LLM reads are ignored: ")
    for key in ("shot_max_chars", "max_new_tokens", "threads", "task", "gpus"):
        assert key in notes[0]
    assert "search.temperature is not searched" in notes[1]
    assert "temperature" not in SearchSpace.from_config(cfg).distributions()
    assert cfg.generator.actor_gpus == 0.0


def test_a_file_beside_a_model_keeps_the_temperature_searched(tmp_path):
    path = _write(tmp_path / "ex.csv", _rows(3))
    cfg = load_config(
        DEMO, ["generators.llm.backend=llama_cpp", "generators.mine.backend=file", f"generators.mine.model={path}"]
    )
    assert set(SearchSpace.from_config(cfg).distributions()) >= {"temperature", "generator"}
    assert not any("temperature" in n for n in cfg.notes())


def test_preview_reads_the_file_through_the_sweeps_filters(tmp_path):
    path = _write(tmp_path / "ex.csv", _rows(4))
    cfg = load_config(DEMO, ["generator.backend=file", f"generator.model={path}", f"storage={tmp_path / 'runs'}"])
    _, result = generate_examples(cfg, "positive", 3)
    assert len(result.texts) == 3 and all(t.startswith("lovely") for t in result.texts)


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "generator.model: file of examples not found"),
        ("review,rating\n", "generator.model: "),
        ("body,rating\nfine,positive\n", "generator.model: column 'review' not in"),
        ("review,rating\nsome text about a patient,neutral\n", "is not a class of the data"),
    ],
)
def test_run_refuses_a_bad_file_before_anything_is_written(capsys, tmp_path, content, message):
    path = tmp_path / "ex.csv"
    if content is not None:
        path.write_text(content)
    storage = tmp_path / "runs"
    args = ["run", str(DEMO), "--set", f"storage={storage}", "--set", "generator.backend=file"]
    code = main([*args, "--set", f"generator.model={path}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("error: ") and message in err[-1], err
    assert not any(line.startswith("error") for line in err[:-1])
    assert not storage.exists()


def test_unknown_format_is_refused(tmp_path):
    path = tmp_path / "ex.parquet"
    path.write_bytes(b"PAR1")
    cfg = load_config(DEMO, ["generator.backend=file", f"generator.model={path}"])
    from common import UserError
    from sweep.inputs import generator_path

    with pytest.raises(UserError, match="unknown format for examples; use .csv, .tsv or .jsonl"):
        generator_path(cfg, "default")
