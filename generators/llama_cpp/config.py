"""Settings of one llama.cpp generator instance."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LlamaCppConfig:
    model_path: str
    """Local GGUF file."""
    n_threads: int = 1
    """Threads for prompt processing and decoding; set from the actor's CPUs (Ray sets OMP_NUM_THREADS=1)."""
    n_gpu_layers: int = 0
    """Layers offloaded to the GPU; -1 offloads all."""
    n_ctx: int = 2048
    """Context window."""
    top_p: float = 0.95
    """Nucleus sampling cut-off."""
    repeat_penalty: float = 1.1
    """Penalty on repeated tokens; small models loop without it."""
    constrain: str = "prefill"
    """How the reply is held to one example: ``prefill`` (open the JSON reply, stop at its end) or ``grammar``."""

    def __post_init__(self) -> None:
        if self.n_threads < 1:
            raise ValueError(f"n_threads must be at least 1, got {self.n_threads}")
        if self.constrain not in ("prefill", "grammar"):
            raise ValueError(f"constrain must be 'prefill' or 'grammar', got {self.constrain!r}")
        if self.n_ctx < 256:
            raise ValueError(f"n_ctx must be at least 256, got {self.n_ctx}")
