"""File backend: synthetic examples written elsewhere (another tool, a batch job on a GPU machine,
clinicians), read from a CSV, TSV or JSONL file and served through the same pool interface as a model."""

from .config import FileConfig
from .model import ExamplesFileError, read_examples

__all__ = ["ExamplesFileError", "FileConfig", "read_examples"]
