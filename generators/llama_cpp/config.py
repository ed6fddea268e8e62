"""Settings of one llama.cpp generator instance."""

from __future__ import annotations

from dataclasses import dataclass

from .._types import GeneratorSettings, SweepData


@dataclass(frozen=True)
class LlamaCppConfig:
    model_path: str
    """Local GGUF file."""
    n_threads: int = 1
    """Threads for prompt processing and decoding; set from the actor's CPUs (Ray sets OMP_NUM_THREADS=1)."""
    n_gpu_layers: int = 0
    """Layers offloaded to the GPU; -1 offloads all."""
    n_ctx: int = 2048
    """Context window, shared by the sequences decoded together (the prompt is held once)."""
    top_p: float = 0.95
    """Nucleus sampling cut-off."""
    top_k: int = 40
    """Only the k likeliest tokens are sampled (llama-cpp-python's default)."""
    min_p: float = 0.05
    """Tokens below this share of the likeliest token's probability are dropped (llama-cpp-python's default)."""
    repeat_penalty: float = 1.1
    """Penalty on repeated tokens; small models loop without it."""
    constrain: str = "prefill"
    """How a chat reply is held to one example: ``prefill`` (open the JSON reply, stop at its end) or ``grammar``."""
    prompt_style: str = "auto"
    """``auto`` (chat with a chat template, else completion), ``chat`` or ``completion``."""
    n_seq: int = 4
    """Sequences decoded together from one shared prompt; 1 serves one request after another."""
    n_groups: int = 1
    """Prompts (each with up to ``n_seq`` sequences) decoded together; the pool hands over this many per call."""
    prompt_cache_mb: int = 256
    """Evaluated prompts kept for other temperatures' groups with the same shots (``n_seq`` > 1); 0 keeps none."""

    ENGINE = "2"
    """Changes when this backend computes other texts for the same requests with the same library
    (the synthetic cache key holds it): 2 = flash attention off, the prompts' last tokens decoded together
    after the rest."""

    @classmethod
    def from_generator(cls, g: GeneratorSettings, model_path: str, data: SweepData | None = None) -> LlamaCppConfig:
        """This backend's settings from the user's generator settings (peft-style: each method owns its config);
        ``data`` is for backends that read the data's columns (a file), unused here."""
        return cls(
            model_path=model_path,
            n_threads=g.threads or max(1, int(g.cpus)),
            n_gpu_layers=-1 if g.gpus > 0 else 0,
            n_ctx=g.context_length,
            top_p=g.top_p,
            top_k=g.top_k,
            min_p=g.min_p,
            repeat_penalty=g.repeat_penalty,
            constrain=g.constrain,
            prompt_style=g.prompt_style,
            # The attempts of a group share one prompt and decode together.
            n_seq=g.samples_per_prompt,
            n_groups=g.decode_groups,
        )

    def __post_init__(self) -> None:
        if self.n_threads < 1:
            raise ValueError(f"n_threads must be at least 1, got {self.n_threads}")
        if self.constrain not in ("prefill", "grammar"):
            raise ValueError(f"constrain must be 'prefill' or 'grammar', got {self.constrain!r}")
        if self.n_ctx < 256:
            raise ValueError(f"n_ctx must be at least 256, got {self.n_ctx}")
        if self.prompt_cache_mb < 0:
            raise ValueError(f"prompt_cache_mb must be at least 0, got {self.prompt_cache_mb}")
        if self.n_groups < 1:
            raise ValueError(f"n_groups must be at least 1, got {self.n_groups}")
        if self.n_seq < 1:
            raise ValueError(f"n_seq must be at least 1, got {self.n_seq}")
