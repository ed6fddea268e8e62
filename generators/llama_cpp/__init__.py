"""llama-cpp-python backend: GGUF models on CPU (or offloaded to a GPU)."""

from .config import LlamaCppConfig

__all__ = ["LlamaCppConfig"]
