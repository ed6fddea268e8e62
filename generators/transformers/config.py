"""Settings of one transformers generator instance."""

from __future__ import annotations

from dataclasses import dataclass

from .._types import GeneratorSettings, SweepData


@dataclass(frozen=True)
class TransformersConfig:
    model_path: str
    """A Hugging Face model directory, or a GGUF file (dequantized by transformers; needs the `gguf` package)."""
    device: str = "auto"
    """``cpu``, ``cuda`` or ``auto`` (CUDA when a GPU is visible, as inside a Ray actor given one)."""
    n_threads: int = 1
    """torch threads on CPU (Ray sets OMP_NUM_THREADS=1 in its workers)."""
    top_p: float = 0.95
    """Nucleus sampling cut-off."""
    top_k: int = 40
    """Only the k likeliest tokens are sampled (as the llama.cpp backend)."""
    min_p: float = 0.05
    """Tokens below this share of the likeliest token's probability are dropped (as the llama.cpp backend)."""
    repeat_penalty: float = 1.1
    """Penalty on tokens already generated in this reply (llama.cpp's rule: the last 64 tokens)."""
    prompt_style: str = "auto"
    """``auto`` (chat with a chat template, else completion), ``chat`` or ``completion``."""
    batch_size: int = 16
    """Most replies decoded together; a batch's distinct prompts are prefilled once each, left-padded."""
    convert_cache: str | None = None
    """Directory where a GGUF file's dequantized model is saved once, so later loads skip the conversion."""

    @classmethod
    def from_generator(cls, g: GeneratorSettings, model_path: str, data: SweepData | None = None) -> TransformersConfig:
        """This backend's settings from the user's generator settings (peft-style: each method owns its config);
        ``data`` is for backends that read the data's columns (a file), unused here."""
        from common import model_cache_root

        return cls(
            model_path=model_path,
            device="cuda" if g.gpus > 0 else "cpu",
            n_threads=g.threads or max(1, int(g.cpus)),
            top_p=g.top_p,
            top_k=g.top_k,
            min_p=g.min_p,
            repeat_penalty=g.repeat_penalty,
            prompt_style=g.prompt_style,
            # One attempt group (one prompt, samples_per_prompt seeds) is decoded as one batch.
            batch_size=g.samples_per_prompt,
            convert_cache=str(model_cache_root() / "models"),
        )

    def __post_init__(self) -> None:
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {self.device!r}")
        if self.n_threads < 1:
            raise ValueError(f"n_threads must be at least 1, got {self.n_threads}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
