"""The sweep configuration's schema: the YAML keys are the public interface.

Every group is a small pydantic model with a docstring under each field (shown by
``synthsweep keys`` and in docs/configuration.md) and checks whose messages name the exact key.
Unknown keys are rejected, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from generators import DEFAULT_GENERATOR, GeneratorBackend
from trainables import DIMENSIONS

CACHE_DIR = ".cache"
"""Directory under ``storage`` holding the caches every run of that storage shares."""
SYNTHETIC_CACHE = "synthetic.sqlite"
"""Every raw generation attempt, keyed by model and prompt (``generators.SyntheticCache``)."""
FEATURE_CACHE = "features.sqlite"
"""Head mode's pooled encoder features, keyed by encoder and text."""


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, validate_assignment=True)


def _check_range(value: Sequence[float], key: str, lo: float | None = None, hi: float | None = None) -> Sequence[float]:
    if len(value) != 2:
        raise ValueError(f"{key} must be [low, high], got {value}")
    low, high = value
    if low > high:
        raise ValueError(f"{key}: low {low} is above high {high}")
    if lo is not None and low < lo:
        raise ValueError(f"{key}: low {low} is below {lo}")
    if hi is not None and high > hi:
        raise ValueError(f"{key}: high {high} is above {hi}")
    return value


SyntheticLabels = Literal["balanced", "proportional", "rare_first", "single", "observed"]
MULTILABEL_ONLY = ("single", "observed")
"""`search.synthetic_labels` values that choose label sets: only `data.task: multilabel` has them."""


class DataConfig(_Group):
    train: Path
    """Labelled training data: CSV, TSV, JSONL or Parquet (read with pandas)."""
    test: Path | None = None
    """Optional held-out test file in the same format; without it a stratified test split is cut from `train`."""
    text_column: str = "text"
    """Column holding the text."""
    label_column: str = "label"
    """Column holding the label (any values; two or more classes); with `data.task: multilabel`, each
    text's labels joined by `data.label_separator` (an empty cell: none of them)."""
    validation_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    """Share of the training data held out to pick trials (validation AUC)."""
    test_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    """Share of `train` cut off as the test split when `data.test` is not given."""
    max_train: int | None = Field(None, ge=2)
    """Keep at most this many (stratified) training examples after the splits: the small-data case."""
    per_label: int | None = Field(None, ge=1)
    """Keep this many real training examples of every label after the splits (a point of
    `synthsweep curve`); the validation and test splits stay as they are."""
    draw: int = Field(0, ge=0)
    """Which random draw of `per_label` examples: another draw, another subset of the same training split."""
    labels: list[str] | None = None
    """Keep only rows with these labels (e.g. `[negative, positive]` to drop a neutral class); `null` keeps all.
    With `data.task: multilabel`: the labels a text may carry (one outside them is an error); `null`: those found."""
    positive_label: str | None = None
    """With two classes, the class of interest: its precision, recall and F1 are reported beside the macro
    figures. Default: the second label in sorted order (the output says which)."""
    task: Literal["classification", "relation", "multilabel"] = "classification"
    """`classification` (a label per text), `relation` (a label per text whose two entities are marked with
    `data.entity_markers`: every text must hold each marker once, in order; prompts ask for them, a
    synthetic text without them is rejected, and the classifier reads each marker as one token), or
    `multilabel` (zero or more labels per text, joined by `data.label_separator`: one sigmoid output per
    label, macro AUC over labels as the objective)."""
    label_separator: str = ";"
    """`data.task: multilabel`: what joins a text's labels in `data.label_column` (e.g. `anxiety;insomnia`)."""
    entity_markers: list[str] = ["<e1>", "</e1>", "<e2>", "</e2>"]
    """The markers around the two entities of a `relation` text, in the order they occur."""

    @field_validator("entity_markers")
    @classmethod
    def _markers(cls, v: list[str]) -> list[str]:
        v = [str(m) for m in v]
        if len(v) < 2 or len(set(v)) != len(v) or any(not m.strip() or any(c.isspace() for c in m) for m in v):
            raise ValueError("data.entity_markers must list at least two distinct markers without spaces")
        if any(a in b for a in v for b in v if a != b):
            raise ValueError("data.entity_markers: no marker may be part of another")
        return v

    @property
    def multilabel(self) -> bool:
        return self.task == "multilabel"

    @field_validator("label_separator")
    @classmethod
    def _separator(cls, v: str) -> str:
        if not v or v.isspace():
            raise ValueError("data.label_separator must be a visible character or string, e.g. ';'")
        return v

    @property
    def markers(self) -> tuple[str, ...]:
        """The entity markers a `relation` task's texts carry; none for `classification`."""
        return tuple(self.entity_markers) if self.task == "relation" else ()

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        v = [str(x) for x in v]
        if len(set(v)) < 2 or len(set(v)) != len(v):
            raise ValueError("data.labels must list at least two distinct labels")
        return v

    @model_validator(mode="after")
    def _fractions(self) -> DataConfig:
        if self.test is None and self.validation_fraction + self.test_fraction >= 0.9:
            raise ValueError("data.validation_fraction + data.test_fraction must leave at least 10% for training")
        return self


LLM_ONLY_KEYS = (
    "prompt_style", "few_shot", "samples_per_prompt", "decode_groups", "shot_max_chars", "max_new_tokens",
    "context_length", "constrain", "threads", "system_prompt", "user_prompt", "list_prompt", "task", "gpus",
    "top_p", "top_k", "min_p", "repeat_penalty", "augment", "paraphrase_system_prompt", "paraphrase_user_prompt",
    "paraphrase_list_prompt", "paraphrase_shots",
)  # fmt: skip
"""The generator keys a `file` generator does not read (it writes nothing and samples nothing)."""


class GeneratorConfig(_Group):
    backend: GeneratorBackend = GeneratorBackend.LLAMA_CPP
    """Generator backend: `llama_cpp` (GGUF through llama-cpp-python), `transformers`
    (`AutoModelForCausalLM` from a model directory or a GGUF file; bf16 on a GPU), or `file`
    (examples written elsewhere, read from `model`; keys only an LLM reads are ignored)."""
    model: str = "smollm2-135m-instruct"
    """A bundled model name (`smollm2-135m-instruct`, `gemma3-270m`), a GGUF file, (`transformers`)
    a Hugging Face model directory, or (`file`) a CSV, TSV or JSONL file of examples with the
    columns `data.text_column` and `data.label_column`."""
    prompt_style: Literal["auto", "chat", "completion"] = "auto"
    """`auto` follows the model: `chat` when it has a chat template (instruct models), else
    `completion` (base models continue a numbered list of examples)."""
    few_shot: int = Field(3, ge=1, le=16)
    """Real training examples of the target label shown in each prompt."""
    samples_per_prompt: int = Field(4, ge=1, le=64)
    """Samples drawn from one few-shot prompt before new shots are picked; they share the processed prompt and
    decode together."""
    decode_groups: int = Field(2, ge=1, le=16)
    """Prompts (each with its `samples_per_prompt` samples) a generator decodes together in one batch: on a
    CPU, 8 rows per step cost less per row than 4. A text depends on the batch it was decoded in, so this is
    part of the synthetic cache key."""
    shot_max_chars: int = Field(400, ge=40)
    """Few-shot examples longer than this are cut at a word boundary (prompt processing dominates on CPU)."""
    max_new_tokens: int = Field(96, ge=8, le=2048)
    """Most tokens generated for one synthetic example."""
    min_chars: int = Field(20, ge=1)
    """Synthetic texts shorter than this (after cleaning) are rejected."""
    context_length: int = Field(2048, ge=256)
    """Context window of the generator (prompt plus output)."""
    constrain: Literal["prefill", "grammar"] = "prefill"
    """Hold each chat reply to one example: `prefill` opens the JSON reply and stops at its end
    (about 2x faster); `grammar` (`llama_cpp` only) constrains every token with a JSON-schema grammar."""
    threads: int | None = Field(None, ge=1)
    """llama.cpp or torch threads per actor; default `generator.cpus`. More than `cpus` pays off when
    trials sit idle while their pool is generated."""
    system_prompt: str = (
        "You write realistic, varied examples of short texts for a {task}. Each example you write "
        'has the label "{label}". Write a new example in your own words; do not copy the examples.'
    )
    """System message of the chat template; `{label}` and `{task}` are filled in."""
    user_prompt: str = 'Write one new example with the label "{label}".'
    """User turn of each few-shot exchange; the assistant turns are the real examples as JSON."""
    list_prompt: str = 'Examples of {task} texts with the label "{label}", one per line:'
    """Header of the numbered list a `completion`-style (base) model continues; `{label}` and `{task}` are filled in."""
    task: str = "text classification dataset"
    """What the texts are, for the prompt (e.g. `patient drug review`)."""
    augment: Literal["generate", "paraphrase"] = "generate"
    """How synthetic examples are written: `generate` (a new example in the style of `few_shot` real
    ones) or `paraphrase` (one real training example of the label rewritten in other words, keeping
    its meaning and label; each attempt group rewrites another). `search.augment` searches both."""
    paraphrase_system_prompt: str = (
        'You rewrite short texts from a {task}. Each text you are given has the label "{label}". '
        "Write it again in other words and other sentences, keeping its meaning and its label; "
        "do not copy its phrases."
    )
    """System message when paraphrasing; `{label}` and `{task}` are filled in."""
    paraphrase_user_prompt: str = 'Rewrite this example with the label "{label}" in other words:'
    """The paraphrase request; the source example follows it as `{"text": "..."}`."""
    paraphrase_list_prompt: str = (
        'Texts from a {task} with the label "{label}", each followed by the same text rewritten in other words:'
    )
    """Header of a `completion`-style (base model) paraphrase prompt: `Original: ...` and an open
    `Rewritten:` line follow."""
    paraphrase_shots: int = Field(0, ge=0, le=16)
    """Other real examples of the label shown beside the source when paraphrasing (for its style)."""
    actors: int = Field(1, ge=1)
    """Generator actors; each loads the model once and serves one request at a time."""
    cpus: float = Field(1.0, gt=0)
    """CPUs per generator actor (also the llama.cpp thread count)."""
    gpus: float = Field(0.0, ge=0)
    """GPUs per generator actor (may be fractional); with a GPU, all layers are offloaded (`llama_cpp`) or the
    model runs in bf16 on it (`transformers`). A node without a usable GPU is refused at start."""
    resources: dict[str, float] = {}
    """Custom Ray resources per generator actor (e.g. `{a100: 1}`), as nodes declare them with
    `ray start --resources`."""
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    """Nucleus sampling: sample from the smallest set of tokens holding this share of the probability."""
    top_k: int = Field(40, ge=1)
    """Sample only from the k likeliest tokens."""
    min_p: float = Field(0.05, ge=0.0, lt=1.0)
    """Drop tokens below this share of the likeliest token's probability."""
    repeat_penalty: float = Field(1.1, ge=1.0)
    """Penalty on tokens repeated within the last 64 (small models loop without it); 1 turns it off."""

    @property
    def is_file(self) -> bool:
        """Its examples come from a file, not a model: prompts, temperature and sampling do not apply."""
        return self.backend == GeneratorBackend.FILE

    @property
    def actor_gpus(self) -> float:
        """GPUs each actor takes: `gpus`, or none for a file (reading it needs none)."""
        return 0.0 if self.is_file else self.gpus

    def ignored_keys(self) -> list[str]:
        """For a file: the keys only an LLM reads that are set away from their defaults (a note says
        they are ignored)."""
        if not self.is_file:
            return []
        return [k for k in LLM_ONLY_KEYS if getattr(self, k) != type(self).model_fields[k].default]

    @field_validator(
        "system_prompt",
        "user_prompt",
        "list_prompt",
        "paraphrase_system_prompt",
        "paraphrase_user_prompt",
        "paraphrase_list_prompt",
    )
    @classmethod
    def _placeholders(cls, v: str) -> str:
        unknown = set(re.findall(r"{(\w*)}", v)) - {"label", "task"}
        if unknown:
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}; use {{label}} or {{task}}")
        return v

    @field_validator("resources")
    @classmethod
    def _resources(cls, v: dict[str, float]) -> dict[str, float]:
        return _custom_resources(v)

    @field_validator("constrain")
    @classmethod
    def _constrain(cls, v: str, info: ValidationInfo) -> str:
        if v == "grammar" and info.data.get("backend") == GeneratorBackend.TRANSFORMERS:
            raise ValueError("grammar needs the llama_cpp backend; use prefill with transformers")
        return v


class ClassifierConfig(_Group):
    model: str = "minilm-l6"
    """A bundled model name (`minilm-l6`) or a path to a Hugging Face model directory."""
    mode: Literal["head", "lora", "full"] = "head"
    """`head`: frozen encoder, cached features, linear head; `lora`: peft LoRA; `full`: all weights."""
    epochs: int = Field(20, ge=1)
    """Training epochs; validation AUC and a checkpoint are reported after each."""
    learning_rate: float = Field(1e-2, gt=0)
    """AdamW learning rate (head mode wants ~1e-2, lora ~5e-4, full ~3e-5)."""
    batch_size: int = Field(16, ge=1)
    """Examples per optimisation step."""
    max_length: int = Field(128, ge=8, le=512)
    """Tokens kept per text."""
    weight_decay: float = Field(0.0, ge=0)
    """AdamW weight decay."""
    lora_r: int = Field(8, ge=1)
    """LoRA rank (lora mode)."""


class SearchConfig(_Group):
    storage: str | None = None
    """An Optuna database URL (e.g. `postgresql://user@host/optuna`) for the search's study; default:
    SQLite in the run directory (`optuna.db`). Either way `optuna-dashboard URL` shows the trials live."""
    num_samples: int = Field(8, ge=1)
    """Trials in the sweep, the baseline (`n_synthetic=0`) included."""

    @field_validator("storage")
    @classmethod
    def _storage_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(v)
        except ArgumentError:
            raise ValueError(
                "not a database URL (e.g. postgresql://user@host/optuna or sqlite:////abs/path.db)"
            ) from None
        return v

    max_concurrent: int = Field(1, ge=1)
    """Trials running at once."""
    temperature: list[float] = [0.5, 1.0]
    """Generation temperature bounds [low, high], searched on a 0.1 grid."""
    n_synthetic: list[int] = [0, 60]
    """Bounds [low, high] of the synthetic examples added to the training mix (label-balanced)."""
    n_synthetic_step: int = Field(1, ge=1)
    """Grid step of `n_synthetic` (a coarser grid lets trials share pools)."""
    real_ratio: list[float] = [0.5, 1.0]
    """Bounds [low, high] of the share of total training weight carried by real examples."""
    max_failures: int = Field(1, ge=0)
    """Times a failed trial is retried before it counts as errored."""
    checkpoint_interval_s: float = Field(10.0, ge=0)
    """Least seconds between two checkpoints a trial hands to Tune. Its first improving epoch and its
    best one are always kept; an improving epoch in between waits (on the trial's local disk) until
    the interval has passed or the trial ends. Each checkpoint makes Tune rewrite the whole experiment
    state, which costs more than a short head-mode epoch; a trial stopped early repeats at most this
    much training. 0: every improving epoch at once."""
    consistency_min_prob: list[float] | None = None
    """Bounds [low, high] of the label-consistency threshold (`quality.consistency_min_prob`), searched on
    a 0.05 grid; `null` (default) leaves it out of the search."""
    generator: list[str] = []
    """Names from `generators` the sweep chooses among (the trial parameter `generator`); empty: all of them."""
    augment: list[Literal["generate", "paraphrase"]] = []
    """Ways of writing synthetic examples trials choose among (the trial parameter `augment`), e.g.
    `[generate, paraphrase]`; empty: each generator's own `augment`. A file generator's rows are
    neither: its trials read the file whatever they chose."""
    startup_trials: int | None = Field(None, ge=0)
    """Synthetic trials sampled at random before TPE guides the search; `null`: half of them (at least 1,
    at most 10). The baseline comes first and is not counted."""
    max_synthetic_weight: float = Field(1.0, gt=0.0)
    """Most loss weight one synthetic text may carry, relative to one real text. Without a cap, a small
    synthetic set and a low `real_ratio` give each synthetic text many times a real text's weight; the
    trial records the real share it actually trained with (`real_share`)."""
    synthetic_labels: list[SyntheticLabels] = ["balanced"]
    """How a trial's synthetic examples are split over labels; several values are searched (the trial
    parameter `synthetic_labels`). `balanced`: equal counts per label. `proportional`: in the real training
    data's label proportions. `rare_first`: inversely to each label's real count (a label with half the
    examples gets twice the synthetic ones), so the rare labels get most. With `data.task: multilabel` these
    write one label at a time, and two more choose the label sets: `single` (one label at a time, as
    `balanced`) and `observed` (the label sets of the real training texts, in their proportions)."""

    @field_validator("synthetic_labels", mode="before")
    @classmethod
    def _synthetic_labels(cls, v: Any) -> Any:
        v = [v] if isinstance(v, str) else v
        if isinstance(v, list) and (not v or len(set(v)) != len(v)):
            raise ValueError("search.synthetic_labels must name one or more distinct ways, e.g. [balanced]")
        return v

    @field_validator("temperature")
    @classmethod
    def _temperature(cls, v: list[float]) -> list[float]:
        _check_range(v, "search.temperature", 0.0, 5.0)
        return [DIMENSIONS["temperature"].snap(x) for x in v]

    @field_validator("n_synthetic")
    @classmethod
    def _n_synthetic(cls, v: list[int]) -> list[int]:
        return [int(x) for x in _check_range(v, "search.n_synthetic", 0)]

    @property
    def synthetic_range(self) -> tuple[int, int]:
        """`n_synthetic` bounds of the trials after the baseline: on the grid, never 0 (unless high is 0)."""
        lo, hi = self.n_synthetic
        step = self.n_synthetic_step
        lo = max(lo, step) if lo == 0 else lo
        return (min(lo, hi), hi)

    def random_trials(self) -> int:
        """TPE's random start-up trials (the baseline not counted)."""
        synthetic = self.num_samples - 1
        if self.startup_trials is not None:
            return min(self.startup_trials, synthetic)
        return min(synthetic, max(1, min(10, (synthetic + 1) // 2)))

    @field_validator("consistency_min_prob")
    @classmethod
    def _consistency(cls, v: list[float] | None) -> list[float] | None:
        if v is None:
            return v
        _check_range(v, "search.consistency_min_prob", 0.0, 1.0)
        return [DIMENSIONS["consistency_min_prob"].snap(x) for x in v]

    @field_validator("augment", mode="before")
    @classmethod
    def _augments(cls, v: Any) -> Any:
        if isinstance(v, str):  # --set search.augment=paraphrase
            v = [v]
        if isinstance(v, list) and len(set(map(str, v))) != len(v):
            raise ValueError("search.augment lists a method twice")
        return [] if v is None else v

    @field_validator("generator", mode="before")
    @classmethod
    def _generator_names(cls, v: Any) -> Any:
        if isinstance(v, str):  # --set search.generator=gemma
            return [v]
        if isinstance(v, list) and len(set(map(str, v))) != len(v):
            raise ValueError("search.generator lists a generator twice")
        return [] if v is None else v

    @field_validator("real_ratio")
    @classmethod
    def _real_ratio(cls, v: list[float]) -> list[float]:
        _check_range(v, "search.real_ratio", 0.0, 1.0)
        if v[0] <= 0.0:
            raise ValueError("search.real_ratio: low must be above 0 (real data must carry some weight)")
        return v


class QualityConfig(_Group):
    max_chars: int = Field(2000, ge=1)
    """Synthetic texts longer than this (after cleaning) are rejected; `generator.min_chars` is the lower bound."""
    shingle: int = Field(5, ge=2, le=20)
    """Characters per shingle (character n-gram) of the near-duplicate checks."""
    near_duplicate: float | None = Field(0.7, gt=0.0, le=1.0)
    """Reject a synthetic text whose shingle Jaccard similarity to an example already in its pool is at
    least this; `null` turns the check off."""
    near_real: float | None = Field(0.7, gt=0.0, le=1.0)
    """Reject a synthetic text whose shingle Jaccard similarity to a real training record is at least
    this; `null` turns the check off."""
    language_ratio: float | None = Field(1.3, ge=1.0)
    """Reject a synthetic text whose cross-entropy under a character-trigram model of the real training
    texts exceeds this multiple of the real texts' own 99th percentile; `null` turns the check off."""
    consistency_min_prob: float | None = Field(None, ge=0.0, le=1.0)
    """Label-consistency filter: drop a synthetic example when a TF-IDF logistic regression trained on
    the real training data gives its intended label a probability below this; `null` (default) is off.
    `search.consistency_min_prob` searches it instead."""


class EvalConfig(_Group):
    repeats: int | None = Field(None, ge=1)
    """Classifiers each trial trains on its mix, one seed each (initialisation and shuffling); the trial's
    score is their mean validation AUC and its SD is recorded. `null`: 3 in head mode (features are cached,
    so repeats cost little), 1 in lora and full mode."""
    verdict_seeds: int = Field(5, ge=2)
    """Seeds per arm of the verdict: after the search, each arm (baseline, reweighted, oversample, eda,
    best, and the real-label curve's arms) is retrained this many times and scored on the test split,
    the only place test data is used."""
    bootstrap: int = Field(2000, ge=1000)
    """Paired bootstrap resamples (test examples and seeds) behind each verdict interval."""
    eda_alpha: float = Field(0.1, gt=0.0, le=0.5)
    """Share of a text's words the `eda` control changes (random swap, deletion or insertion)."""
    label_curve: bool = True
    """Also train the baseline on 25, 50 and 75% of each label's real examples (arms `labels_25` to
    `labels_75`), to say what fewer or more real labels would change and what each augmentation is
    worth in real labels; `false` saves their training (in lora or full mode, three arms' worth)."""

    def repeats_for(self, mode: str) -> int:
        return self.repeats if self.repeats is not None else (3 if mode == "head" else 1)


class PrivacyConfig(_Group):
    ngram: int = Field(8, ge=2, le=32)
    """Words per n-gram of the privacy audit's overlap measure."""
    max_shared_words: int | None = Field(12, ge=2)
    """Drop a synthetic text that shares a run of at least this many consecutive words with one training
    record (overlap with validation and test records is reported against it, never used to drop);
    `null` turns the limit off."""
    max_ngram_overlap: float | None = Field(0.5, gt=0.0, le=1.0)
    """Drop a synthetic text when at least this share of its word n-grams occur in one training record;
    `null` turns the limit off."""


def _custom_resources(v: dict[str, float]) -> dict[str, float]:
    for name, amount in v.items():
        if name.upper() in ("CPU", "GPU", "MEMORY") or name.startswith("node:"):
            raise ValueError(f"{name!r} is not a custom resource; use the cpus and gpus keys")
        if amount < 0:
            raise ValueError(f"{name}: amount {amount} is below 0")
    return v


class TrialResources(_Group):
    cpus: float = Field(1.0, gt=0)
    """CPUs per trial (also the torch thread count)."""
    gpus: float = Field(0.0, ge=0)
    """GPUs per trial; fractional (e.g. `0.25`) lets trials share one GPU. A node without a usable GPU is
    refused at start."""
    custom: dict[str, float] = {}
    """Custom Ray resources per trial (e.g. `{a100: 1}`), as nodes declare them with `ray start --resources`."""

    @field_validator("custom")
    @classmethod
    def _custom(cls, v: dict[str, float]) -> dict[str, float]:
        return _custom_resources(v)


class ResourcesConfig(_Group):
    trial: TrialResources = TrialResources()
    """Resources each trial asks Ray for."""


class RayConfig(_Group):
    address: str | None = None
    """Address of an existing Ray cluster (`auto`, `ray://host:10001`); empty starts Ray locally."""


class SweepConfig(_Group):
    name: str = "sweep"
    """Run name; the run directory is `<storage>/<name>`."""
    seed: int = 0
    """Seed for splits, few-shot picks, generation, training and the TPE sampler."""
    storage: Path = Path("runs")
    """Directory holding run directories and the shared synthetic cache."""
    data: DataConfig
    """Dataset."""
    generator: GeneratorConfig = GeneratorConfig()
    """Synthetic-text generator (the defaults of every entry of `generators`)."""
    generators: dict[str, GeneratorConfig] = {}
    """Named generators a sweep compares, each with its own actors and cache: an entry holds `generator`
    keys that override the `generator` section (e.g. `gemma: {model: gemma3-270m}`). Empty: the
    `generator` section alone, named `default`."""
    classifier: ClassifierConfig = ClassifierConfig()
    """Classifier fine-tuned in every trial."""
    search: SearchConfig = SearchConfig()
    """Search space and budget."""
    eval: EvalConfig = EvalConfig()
    """Repeated training inside the search and the final verdict on the test split."""
    resources: ResourcesConfig = ResourcesConfig()
    """Per-trial resources."""
    ray: RayConfig = RayConfig()
    """Ray cluster."""
    quality: QualityConfig = QualityConfig()
    """Synthetic-text quality filters."""
    privacy: PrivacyConfig = PrivacyConfig()
    """Privacy audit of synthetic texts against the real records."""

    @model_validator(mode="before")
    @classmethod
    def _inherit_generator(cls, tree: Any) -> Any:
        """Each `generators` entry starts from the `generator` section."""
        if not isinstance(tree, dict) or not isinstance(tree.get("generators"), dict):
            return tree
        base = tree.get("generator") or {}
        if isinstance(base, BaseModel):
            base = base.model_dump()
        if not isinstance(base, dict):
            return tree
        merged = {}
        for name, entry in tree["generators"].items():
            # An entry that is a model already inherited when it was built; re-validating the config
            # (``validate_assignment``) must not turn it back into a dict.
            merged[name] = {**base, **(entry or {})} if isinstance(entry, dict) or entry is None else entry
        return {**tree, "generators": merged}

    @field_validator("generators")
    @classmethod
    def _generator_keys(cls, v: dict[str, GeneratorConfig]) -> dict[str, GeneratorConfig]:
        for name in v:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
                raise ValueError(f"generators.{name}: a name must be letters, digits, '.', '_' or '-'")
        return v

    @model_validator(mode="after")
    def _searched_generators(self) -> SweepConfig:
        known = list(self.generator_configs())
        for name in self.search.generator:
            if name not in known:
                raise ValueError(f"search.generator: unknown generator {name!r} (configured: {', '.join(known)})")
        return self

    @model_validator(mode="after")
    def _task_fits(self) -> SweepConfig:
        """Settings that only one kind of task reads, refused on another with the key that names them."""
        if not self.data.multilabel:
            for way in self.search.synthetic_labels:
                if way in MULTILABEL_ONLY:
                    raise ValueError(
                        f"search.synthetic_labels: {way} chooses label sets, only for data.task multilabel"
                    )
            return self
        if self.quality.consistency_min_prob is not None or self.search.consistency_min_prob is not None:
            raise ValueError("quality.consistency_min_prob: the label-consistency filter is for one label per text")
        if self.data.positive_label is not None:
            raise ValueError("data.positive_label: for two classes of one label per text, not data.task multilabel")
        return self

    def generator_configs(self) -> dict[str, GeneratorConfig]:
        """Every configured generator by name (the `generator` section alone is `default`)."""
        return dict(self.generators) if self.generators else {DEFAULT_GENERATOR: self.generator}

    def searched_generators(self) -> list[str]:
        """The generators trials choose among, in order; the first serves the baseline."""
        return list(self.search.generator) or list(self.generator_configs())

    def augments(self, name: str) -> list[str]:
        """The ways generator ``name`` writes examples in this sweep (none for a file: it reads rows)."""
        g = self.generator_configs()[name]
        if g.is_file:
            return []
        return list(self.search.augment) or [g.augment]

    def only_files(self) -> bool:
        """Every searched generator is a file: there is no temperature to search."""
        configs = self.generator_configs()
        return all(configs[name].is_file for name in self.searched_generators())

    def notes(self) -> list[str]:
        """One line each for settings this sweep reads differently from how they are written."""
        configs = self.generator_configs()
        out = []
        for name in self.searched_generators():
            ignored = configs[name].ignored_keys()
            if ignored:
                key = f"generators.{name}" if self.generators else "generator"
                only_llm = ", ".join(ignored)
                out.append(f"note: {key} reads a file of examples; keys only an LLM reads are ignored: {only_llm}")
        if len(self.search.augment) > 1 and any(configs[n].is_file for n in self.searched_generators()):
            out.append("note: search.augment does not apply to a file of examples: its trials read the file")
        lo, hi = self.search.temperature
        if self.only_files() and hi > lo:
            out.append("note: search.temperature is not searched: every searched generator is a file of examples")
        return out

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", v) or v.startswith(".cache"):
            raise ValueError("name must be letters, digits, '.', '_' or '-' (it names a directory)")
        return v

    @property
    def run_dir(self) -> Path:
        return self.storage / self.name

    @property
    def cache_dir(self) -> Path:
        return self.storage / CACHE_DIR

    @property
    def synthetic_cache(self) -> Path:
        return self.cache_dir / SYNTHETIC_CACHE

    @property
    def feature_cache(self) -> Path:
        return self.cache_dir / FEATURE_CACHE
