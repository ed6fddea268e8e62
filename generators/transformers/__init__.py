"""Hugging Face transformers backend: a model directory or a GGUF file, on CPU or a CUDA GPU."""

from .config import TransformersConfig

__all__ = ["TransformersConfig"]
