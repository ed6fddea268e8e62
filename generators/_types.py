"""What a generator backend is asked for and what it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class GenerationRequest:
    """One synthetic example to write: the ingredients of the prompt, not the rendered prompt.

    The backend renders them in the style its model needs (a chat template for instruct
    models, a numbered list for base models: ``_styles``), so a prompt style follows the model
    rather than a global switch.
    """

    label: str
    shots: tuple[str, ...]
    """Real training examples of ``label`` (never validation or test records)."""
    temperature: float
    seed: int
    max_new_tokens: int
    system_prompt: str
    """Already formatted with the label and task."""
    user_prompt: str
    """Already formatted with the label and task."""
    list_prompt: str = ""
    """Header of the completion-style list (base models); already formatted with the label and task."""
    index: int = 0
    """The attempt's number within its pool (label, temperature), from 0: a file backend serves its
    ``index``-th example of the label."""
    source: str = ""
    """Paraphrase: the real training example of ``label`` to rewrite (cut like a shot); empty when the
    model writes a new example."""
    source_id: str = ""
    """Paraphrase: a stable id of the source example (a hash of its text, never the text), recorded
    in the synthetic cache's key and with the accepted example."""


@dataclass(frozen=True)
class Completion:
    text: str
    """The example's text as the model wrote it (unwrapped from any structure), uncleaned."""
    n_tokens: int = 0
    """Tokens generated."""
    truncated: bool = False
    """True when generation stopped at ``max_new_tokens``."""
    extra: dict = field(default_factory=dict)
    exhausted: bool = False
    """The backend has no more examples of this label (a file's rows are used up): the pool ends
    here, with fewer examples than asked for. Never cached."""


@dataclass(frozen=True)
class SweepData:
    """What a backend may read about the sweep besides its generator section: the data's columns
    and classes (a file backend reads its examples by them) and the sweep's seed."""

    text_column: str
    label_column: str
    labels: tuple[str, ...]
    seed: int = 0
    label_separator: str | None = None
    """Label sets (``data.task: multilabel``): what joins a text's labels; None: one label per text."""


class GeneratorSettings(Protocol):
    """The user's generator settings a backend reads to build its own config (``from_generator``):
    the `generator` config section, or anything with these attributes."""

    threads: int | None
    cpus: float
    gpus: float
    prompt_style: str
    constrain: str
    context_length: int
    samples_per_prompt: int
    decode_groups: int
    top_p: float
    top_k: int
    min_p: float
    repeat_penalty: float


class GeneratorModel(Protocol):
    """A loaded local model that serves one batch of requests at a time."""

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        """One completion per request, in order; deterministic for a given request seed."""
        ...
