"""The model card (README.md) of an exported trial, from its ``synthsweep.json`` and the run's verdict."""

from __future__ import annotations

from typing import Any

from ..verdict import BASELINE, Verdict, VerdictArm
from ._format import delta_ci, fmt

_MODES = {
    "head": "frozen encoder with the pooling it was trained with, a linear classifier trained on top",
    "lora": "LoRA adapters trained with the classification head, then merged into the weights",
    "full": "every weight trained",
}


def _arm_row(name: str, a: VerdictArm) -> str:
    delta = "" if name == BASELINE else f"{delta_ci(a.delta_auc)} | {a.conclusion}"
    return f"| {name} | {a.test_auc_mean:.3f} ± {a.test_auc_sd:.3f} | {delta} |"


def _verdict_card(verdict: Verdict | None) -> str:
    if not verdict:
        return "The sweep's verdict was not computed (the search had not finished)."
    rows = "\n".join(_arm_row(name, a) for name, a in verdict.arms.items())
    return f"""## Verdict of the sweep

Each arm retrained with {verdict.seeds} fresh seeds and scored on the test split; differences
from the baseline with 95% paired bootstrap intervals ({verdict.bootstrap} resamples).

| arm | test AUC ± SD | Δ AUC [95% CI] | conclusion |
|---|---|---|---|
{rows}

{verdict.sentence}"""


def _results_table(info: dict[str, Any]) -> str:
    t, b = info["trial"], info.get("baseline")
    rows = [("this model", t["validation"], t["test"] or {})]
    if b:
        rows.append(("baseline (no synthetic data)", b["validation"], b["test"] or {}))
    return "\n".join(
        f"| {name} | {fmt(v.get('auc'))} | {fmt(s.get('auc'))} | {fmt(s.get('precision'))} | {fmt(s.get('recall'))} "
        f"| {fmt(s.get('f1'))} |"
        for name, v, s in rows
    )


def _heading(info: dict[str, Any]) -> str:
    t, tr = info["trial"], info["training"]
    prm = t["params"]
    labels = ", ".join(f"`{x}`" for x in info["labels"])
    picked = "best trial of its sweep by validation AUC" if info["picked"] == "best" else "trial chosen with --trial"
    return f"""---
library_name: transformers
pipeline_tag: text-classification
tags:
- synthsweep
- synthetic-data
---

# {info["run"]} / trial {t["trial_id"]}

A text classifier ({labels}) fine-tuned by synthsweep on
{t["n_real"]} real training examples plus {t["n_synthetic"]} synthetic examples {_written(info)} by a local
LLM (`{info["models"]["generator"]["name"]}`) at temperature {prm["temperature"]}, with the real
examples carrying {prm["real_ratio"]:.2f} of the training loss weight. It was the
{picked}
({info["trials_in_sweep"]} trials, epoch {t["epoch"]} of {tr["epochs"]}).
"""


def _written(info: dict[str, Any]) -> str:
    """``written``, or ``paraphrased from real training examples`` for a paraphrasing trial."""
    method = info["models"]["generator"].get("augment")
    return "paraphrased from real training examples" if method == "paraphrase" else "written"


def _scoring(info: dict[str, Any]) -> str:
    if info["data"].get("task") == "multilabel":
        return (
            "Label sets: one sigmoid output per label. Macro AUC over the labels; precision, recall and F1\n"
            "macro-averaged over the labels, a label predicted when its probability is at least 0.5."
        )
    return "Macro one-vs-rest AUC; precision, recall and F1 macro-averaged, predicted class = argmax."


def _results(info: dict[str, Any], verdict: Verdict | None) -> str:
    return f"""## Results

{_scoring(info)}
The test split ({info["data"]["n_test"]} texts) was never used to train or pick a trial; test
figures are shown only for the verdict's trials (the baseline and the best synthetic trial).
Validation AUC is the mean over the trial's repeats; this model is its first repeat.

| model | validation AUC | test AUC | test precision | test recall | test F1 |
|---|---|---|---|---|---|
{_results_table(info)}

{_verdict_card(verdict)}
"""


def _use_and_training(info: dict[str, Any]) -> str:
    tr = info["training"]
    # Head mode ships its pooling as code (modeling_synthsweep.py): transformers must be allowed to run it.
    extra = ", trust_remote_code=True" if tr["mode"] == "head" else ""
    # Label sets: each label's own probability; the config's problem_type says so too.
    if info["data"].get("task") == "multilabel":
        extra += ', function_to_apply="sigmoid"'
    return f"""## Use

```python
from transformers import pipeline

classify = pipeline("text-classification", model="path/to/this/directory", top_k=None{extra})
classify(["a text to label"], truncation=True)  # trained on texts cut at {tr["max_length"]} tokens
```

## Training

Base model `{info["models"]["classifier"]["name"]}`, mode `{tr["mode"]}` ({_MODES[tr["mode"]]}),
learning rate {tr["learning_rate"]}, batch size {tr["batch_size"]}, seed {tr["seed"]}. The weights
are those of the epoch with the highest validation AUC.

`synthetic.csv` holds the exact synthetic examples this model trained on; `synthsweep.json` holds
the parameters, all metrics, sha256 hashes of the data and model files, package versions and
the synthsweep commit.
"""


_LIMITATIONS = """## Limitations

Trained on a small labelled set and on machine-written text; metrics come from
{n_validation} validation and {n_test} test texts and carry
sampling error. Validate on your own data before relying on it, and do not use it for clinical
decisions without that validation.
"""


def model_card(info: dict[str, Any], verdict: Verdict | None) -> str:
    d = info["data"]
    limits = _LIMITATIONS.format(n_validation=d["n_validation"], n_test=d["n_test"])
    return "\n".join([_heading(info), _results(info, verdict), _use_and_training(info), limits])
