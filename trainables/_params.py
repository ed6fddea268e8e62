"""Typed trial inputs: Tune's config dict becomes ``TrialParams`` on the trainable's first line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, TypedDict

from generators import DEFAULT_GENERATOR


@dataclass(frozen=True)
class Dimension:
    """One value trials are searched over: the one place its name, kind and grid are written.

    The sweep's search space takes its bounds from the config and everything else from here; the
    trial snaps what Tune hands it to the same grid.
    """

    name: str
    kind: Literal["float", "int", "choice"]
    step: float | None = None
    """Grid of a float dimension (Tune's ``quniform``); None: continuous, or the config sets it."""
    decimals: int | None = None
    """A float on a grid is rounded to this many decimals (Tune's quantized values carry float error)."""
    optional: bool = False
    """Searched only when the config asks for it; absent from a trial's parameters otherwise."""
    reported_as: str | None = None
    """The epoch-row key holding the value the trial really trained with, when it can differ from the
    suggestion (filters can leave a pool short; the weight cap can raise the real share)."""

    def snap(self, value: Any) -> Any:
        if self.kind == "int":
            return int(round(float(value)))
        if self.kind == "choice":
            return str(value)
        return round(float(value), self.decimals) if self.decimals is not None else float(value)


TEMPERATURE = Dimension("temperature", "float", step=0.1, decimals=1)
N_SYNTHETIC = Dimension("n_synthetic", "int", reported_as="n_synthetic_used")
REAL_RATIO = Dimension("real_ratio", "float", reported_as="real_share")
GENERATOR = Dimension("generator", "choice")
CONSISTENCY = Dimension("consistency_min_prob", "float", step=0.05, decimals=2, optional=True)
AUGMENT = Dimension("augment", "choice", optional=True)
SYNTHETIC_LABELS = Dimension("synthetic_labels", "choice", optional=True)
DIMENSIONS: dict[str, Dimension] = {
    d.name: d for d in (TEMPERATURE, N_SYNTHETIC, REAL_RATIO, GENERATOR, CONSISTENCY, AUGMENT, SYNTHETIC_LABELS)
}
"""Every searched dimension, in the order Tune's search space lists them."""


@dataclass(frozen=True)
class TrialParams:
    """The searched values of one trial."""

    temperature: float
    n_synthetic: int
    real_ratio: float
    consistency_min_prob: float | None = None
    """Label-consistency threshold, when the sweep searches it (else the sweep's fixed setting applies)."""
    generator: str = DEFAULT_GENERATOR
    """Name of the generator the synthetic examples come from (`search.generator`)."""
    augment: str | None = None
    """`generate` or `paraphrase` when the sweep searches it (`search.augment`); None: the generator's own."""
    synthetic_labels: str | None = None
    """How the synthetic examples are split over labels, when the sweep searches it (`search.synthetic_labels`);
    None: the sweep's one way."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TrialParams:
        """Accept Tune's config (flat, or flattened ``a/b`` keys from a searcher); reject strays."""
        flat = {k.rsplit("/", 1)[-1]: v for k, v in config.items()}
        missing = {TEMPERATURE.name, N_SYNTHETIC.name, REAL_RATIO.name} - flat.keys()
        if missing:
            raise KeyError(f"trial config lacks {sorted(missing)}")
        n = N_SYNTHETIC.snap(flat[N_SYNTHETIC.name])
        consistency = flat.get(CONSISTENCY.name)
        return cls(
            temperature=TEMPERATURE.snap(flat[TEMPERATURE.name]),
            n_synthetic=n,
            # Without synthetic examples the real data carries all the weight.
            real_ratio=1.0 if n == 0 else REAL_RATIO.snap(flat[REAL_RATIO.name]),
            # ... and there is nothing for the label-consistency filter to drop.
            consistency_min_prob=None if consistency is None or n == 0 else CONSISTENCY.snap(consistency),
            # A sweep with the `generator` section alone has no generator dimension.
            generator=GENERATOR.snap(flat.get(GENERATOR.name, DEFAULT_GENERATOR)),
            augment=None if flat.get(AUGMENT.name) is None or n == 0 else AUGMENT.snap(flat[AUGMENT.name]),
            synthetic_labels=_choice(SYNTHETIC_LABELS, flat, n),
        )

    def to_dict(self) -> dict[str, Any]:
        # Optional dimensions appear only when searched.
        return {k: v for k, v in asdict(self).items() if v is not None or not DIMENSIONS[k].optional}


def _choice(d: Dimension, flat: Mapping[str, Any], n_synthetic: int) -> str | None:
    """An optional choice's value; None when not searched or when there is nothing synthetic to choose for."""
    value = flat.get(d.name)
    return None if value is None or n_synthetic == 0 else d.snap(value)


@dataclass(frozen=True)
class TrialData:
    """Real data a trial may see: train and validation only (the test split stays with the driver)."""

    labels: list[str]
    train_texts: list[str]
    train_y: list[int] | list[list[int]]
    """Class indices, or for label sets (``data.task: multilabel``) a 0/1 row per text."""
    val_texts: list[str]
    val_y: list[int] | list[list[int]]
    positive: int | None = None
    """Index of `data.positive_label` with two classes (its precision, recall and F1 are reported), else None."""
    units: dict[str, list[int]] = field(default_factory=dict)
    """Label sets: every pool a trial may ask for (a label alone, or a label set the training texts
    carry) and its label indices; empty for one label per text, whose pools are its labels."""

    @property
    def multilabel(self) -> bool:
        return bool(self.units)


@dataclass(frozen=True)
class ClassifierSettings:
    """How every classifier of a sweep is built and trained (the `classifier` config section, resolved)."""

    path: str
    """Local model directory of the encoder (resolved from a bundled name or a user path)."""
    hash: str
    """Content hash of that directory: part of the feature cache key."""
    mode: str
    """`head`, `lora` or `full`."""
    epochs: int
    learning_rate: float
    batch_size: int
    max_length: int
    weight_decay: float = 0.0
    lora_r: int = 8
    model: str = ""
    """The `classifier.model` value: a bundled name is resolved again on the node a trial runs on."""
    recorded_path: str | None = None
    """The driver's path, written into checkpoints when ``path`` is a node's own copy (export loads it)."""
    markers: tuple[str, ...] = ()
    """Entity markers the classifier's tokenizer holds as tokens (``data.task: relation``); ``path``
    is then the marked copy of the encoder (``marked_classifier``)."""
    multilabel: bool = False
    """Label sets (``data.task: multilabel``): one sigmoid output per label and a binary cross-entropy
    loss, instead of a softmax over classes."""

    def on_this_node(self) -> ClassifierSettings:
        """These settings with ``path`` pointing at this node's copy of the model (bundled: its own cache,
        with the markers added there)."""
        from common import local_classifier_path

        if not self.model:
            return self
        local = local_classifier_path(self.model, self.path)
        if self.markers and local != self.path:
            from ._markers import marked_classifier

            local = str(marked_classifier(local, self.markers))
        return replace(self, path=local, recorded_path=self.recorded_path or self.path)


@dataclass(frozen=True)
class TrialSettings:
    """Fixed for the whole sweep; passed to every trial with ``tune.with_parameters``."""

    classifier: ClassifierSettings
    seed: int
    """Seed of the first repeat; repeat k trains with ``seed + k``."""
    repeats: int = 1
    """Classifiers trained per trial on the same mix, one seed each (`eval.repeats`)."""
    cpus: float = 1.0
    gpus: float = 0.0
    services: dict[str, str] = field(default_factory=dict)
    """Pool service actor name per generator name."""
    feature_cache: str | None = None
    """SQLite file of the head-mode feature cache; None: no cache."""
    feature_store: str | None = None
    """Name of the actor that owns ``feature_cache`` in a sweep; trials then never open the file."""
    env: dict[str, str] = field(default_factory=dict)
    """Environment variables set in the trial's worker (offline switches, test hooks)."""
    consistency_min_prob: float | None = None
    """Fixed label-consistency threshold (``quality.consistency_min_prob``); None: off unless searched."""
    max_synthetic_weight: float | None = 1.0
    """Cap on one synthetic example's loss weight relative to a real one (`search.max_synthetic_weight`)."""
    synthetic_labels: str = "balanced"
    """How a trial's synthetic examples are split over labels when it does not search it
    (`search.synthetic_labels`)."""
    checkpoint_interval_s: float = 0.0
    """Least seconds between two checkpoints handed to Tune (`search.checkpoint_interval_s`); 0: each
    improving epoch at once."""

    @property
    def seeds(self) -> list[int]:
        return [self.seed + k for k in range(self.repeats)]

    def service_for(self, generator: str) -> str:
        """The pool service that serves ``generator``; a name the sweep did not start is an error."""
        try:
            return self.services[generator]
        except KeyError:
            raise KeyError(f"no generator {generator!r} in this sweep (started: {', '.join(self.services)})") from None


class PerClass(TypedDict):
    precision: float
    recall: float
    f1: float
    support: int


class EpochRow(TypedDict, total=False):
    """One reported epoch of a trial: what the trainable sends to ``tune.report`` and what
    ``result.json`` holds (summary, status, progress, export and report read it).

    A TypedDict rather than a class because Tune stores plain dicts; the type checker still
    catches a misspelled key on either side.
    """

    epoch: int
    train_loss: float
    val_auc: float
    """Mean validation AUC over the trial's repeats (what Optuna optimises)."""
    val_auc_sd: float
    val_auc_repeats: list[float]
    best_val_auc: float
    best_val_auc_sd: float
    val_precision: float
    val_recall: float
    val_f1: float
    val_accuracy: float
    val_micro_f1: float
    """Label sets only: micro F1 at 0.5; also ``val_exact_match``."""
    val_exact_match: float
    val_per_class: dict[str, PerClass]
    val_positive_precision: float
    val_positive_recall: float
    val_positive_f1: float
    train_s: float
    generation_s: float
    tune_report_s: float
    """Seconds this attempt spent blocked in Tune's report calls before this row (results and
    checkpoints handed to the driver): inside ``train_s``, but Tune's overhead, not training."""
    repeats: int
    n_real: int
    n_synthetic_used: int
    n_synthetic_used_by_label: dict[str, int]
    real_share: float
    synthetic_generated: int
    synthetic_from_cache: int
    synthetic_attempts: int
    synthetic_rejected: int
    synthetic_pools: dict[str, dict[str, Any]]
    generated_tokens: int
    # Rejected synthetic attempts per reason (generators.Reject), summed over the trial's pools.
    rejected_empty: int
    rejected_too_short: int
    rejected_too_long: int
    rejected_markers: int
    rejected_duplicate: int
    rejected_near_duplicate: int
    rejected_language: int
    rejected_copies_source: int
    rejected_copies_real: int
    rejected_privacy: int
    rejected_near_real: int
    rejected_label_inconsistent: int
    # Added by Tune to every row.
    trial_id: str
    done: bool
    time_total_s: float
    training_iteration: int
    checkpoint_dir_name: str | None
