"""Settings of one file generator."""

from __future__ import annotations

from dataclasses import dataclass

from .._types import GeneratorSettings, SweepData


@dataclass(frozen=True)
class FileConfig:
    model_path: str
    """The CSV, TSV or JSONL file of examples (``generator.model``)."""
    text_column: str
    """The column holding each example's text: the data's ``data.text_column``."""
    label_column: str
    """The column holding its label: the data's ``data.label_column``."""
    labels: tuple[str, ...]
    """The data's classes; a row with any other label is refused."""
    seed: int = 0
    """Seeds the order in which each label's rows are served (the sweep's ``seed``)."""
    label_separator: str | None = None
    """Label sets: what joins a row's labels (``data.label_separator``); a row serves the pool of its
    whole set, its labels in the data's order. None: one label per row."""

    @classmethod
    def from_generator(cls, g: GeneratorSettings, model_path: str, data: SweepData | None = None) -> FileConfig:
        """The file's settings come from the data section, not the generator section: the columns and
        classes are the data's, so the same config reads the real and the synthetic examples."""
        if data is None:
            raise ValueError("the file backend needs the sweep's data columns and classes")
        return cls(
            model_path=model_path,
            text_column=data.text_column,
            label_column=data.label_column,
            labels=tuple(data.labels),
            seed=data.seed,
            label_separator=data.label_separator,
        )

    def __post_init__(self) -> None:
        if not self.labels:
            raise ValueError("labels must name at least one class")
