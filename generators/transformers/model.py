"""A transformers causal LM that writes one example per request, in the prompt style its model needs.

Loading: ``AutoModelForCausalLM`` / ``AutoTokenizer`` from a model directory, or from a GGUF file
with ``gguf_file=`` (transformers dequantizes it; the ``gguf`` package reads it), always with
``local_files_only=True``. Dequantizing takes tens of seconds, so with ``convert_cache`` the
result is saved once as a model directory keyed by the file's SHA-256 and loaded from there
afterwards. bf16 on CUDA, float32 on CPU.

Decoding: the distinct prompts of a batch are left-padded and prefilled once each (attention
mask and position ids skip the padding), the KV cache rows are then repeated for every request
that shares a prompt, and all replies are decoded together. Each reply samples with its own
``torch.Generator`` seeded by its request, so the same call always gives the same texts; a reply
ends at its prompt style's stop string (one example), at an end-of-sequence token, or at
``max_new_tokens``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._styles import (
    CHAT_PREFILL,
    CHAT_STOP,
    COMPLETION_STOP,
    PromptStyle,
    chat_messages,
    completion_prompt,
    first_stop,
    reply_text,
    resolve_style,
)
from .._types import Completion, GenerationRequest
from .config import TransformersConfig

__all__ = ["TransformersGenerator", "load_model"]

_PENALTY_LAST_N = 64


@dataclass
class _Reply:
    """One request's reply while it is decoded."""

    req: GenerationRequest
    stop: list[str]
    gen: Any
    """The ``torch.Generator`` seeded by the request that samples this reply."""
    tokens: list[int] = field(default_factory=list)
    text: str = ""
    truncated: bool = False


def _sha256(path: Path) -> str:
    from common import sha256_path

    return sha256_path(path)


def load_model(path: str | Path, dtype: Any, convert_cache: str | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) from a model directory or a GGUF file, offline."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a bar per load in every actor's log says nothing
    p = Path(path)
    if p.is_dir():
        tok = AutoTokenizer.from_pretrained(p, local_files_only=True)
        return AutoModelForCausalLM.from_pretrained(p, local_files_only=True, dtype=dtype), tok
    converted = Path(convert_cache) / f"gguf-{_sha256(p)[:16]}" if convert_cache else None
    if converted is not None and (converted / "config.json").is_file():
        tok = AutoTokenizer.from_pretrained(converted, local_files_only=True)
        return AutoModelForCausalLM.from_pretrained(converted, local_files_only=True, dtype=dtype), tok
    import torch

    kw = {"gguf_file": p.name, "local_files_only": True}
    tok = AutoTokenizer.from_pretrained(p.parent, **kw)
    # Dequantized weights are float32 values; keep them exact in the saved copy.
    model = AutoModelForCausalLM.from_pretrained(p.parent, dtype=torch.float32, **kw)
    if converted is not None:
        _save_once(model, tok, converted)
    return model.to(dtype), tok


def _save_once(model: Any, tok: Any, target: Path) -> None:
    """Save a dequantized GGUF model as a plain model directory, atomically (a concurrent actor may win).

    transformers refuses to save any model loaded through its GGUF quantizer. For the
    architectures it dequantizes on load (llama, gemma3 among them) the weights are already
    plain float32 tensors, so the quantizer is detached first; architectures whose weights stay
    packed in GGUF blocks are not saved and simply convert again on the next load.
    """
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None and getattr(quantizer, "supported", True):
        return
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    from common import atomic_dir

    with atomic_dir(target, exists="keep") as tmp:  # another actor may have converted it first
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)


class TransformersGenerator:
    """One loaded model; its actor serves one request batch at a time."""

    def __init__(self, config: TransformersConfig | None = None, **kwargs: Any):
        import torch

        self.config = config or TransformersConfig(**kwargs)
        c = self.config
        cuda = torch.cuda.is_available() and c.device in ("auto", "cuda")
        if c.device == "cuda" and not torch.cuda.is_available():
            import socket

            raise RuntimeError(
                f"generator.gpus > 0 but torch {torch.__version__} on node {socket.gethostname()} has no usable "
                "CUDA device; install its CUDA build (README, GPU nodes) or set generator.gpus=0"
            )
        self.device = torch.device("cuda" if cuda else "cpu")
        self.dtype = torch.bfloat16 if cuda else torch.float32
        if not cuda:
            torch.set_num_threads(c.n_threads)
        self.model, self.tok = load_model(c.model_path, self.dtype, c.convert_cache)
        self.model.to(self.device).eval()
        self.tok.padding_side = "left"
        if self.tok.pad_token_id is None:
            self.tok.pad_token = self.tok.eos_token
        self.style = resolve_style(c.prompt_style, bool(getattr(self.tok, "chat_template", None)), c.model_path)
        eos = self.model.generation_config.eos_token_id
        eos = eos if isinstance(eos, list) else [eos]
        self._eos = {int(e) for e in [*eos, self.tok.eos_token_id] if e is not None}

    def render(self, req: GenerationRequest) -> tuple[str, list[str]]:
        """The prompt text (chat template applied and reply opened, or the list) and its stop strings."""
        if self.style is PromptStyle.COMPLETION:
            return completion_prompt(req), list(COMPLETION_STOP)
        text = self.tok.apply_chat_template(chat_messages(req), tokenize=False, add_generation_prompt=True)
        return text + CHAT_PREFILL, list(CHAT_STOP)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        out: list[Completion] = []
        for start in range(0, len(requests), self.config.batch_size):
            out.extend(self._batch(requests[start : start + self.config.batch_size]))
        return out

    def _batch(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        """One batch's replies: each distinct prompt prefilled once, then all replies decoded together."""
        import torch

        rendered = [self.render(r) for r in requests]
        prompts = list(dict.fromkeys(p for p, _ in rendered))
        rows = torch.tensor([prompts.index(p) for p, _ in rendered], device=self.device)
        cache, logits, mask, pos = self._prefill(prompts, rows)
        replies = [_Reply(r, stop, torch.Generator().manual_seed(r.seed)) for r, (_, stop) in zip(requests, rendered)]
        self._decode(replies, cache, logits, mask, pos)
        return [
            Completion(text=reply_text(self.style, r.text), n_tokens=len(r.tokens), truncated=r.truncated)
            for r in replies
        ]

    def _prefill(self, prompts: list[str], rows: Any) -> tuple[Any, Any, Any, Any]:
        """(KV cache, last logits, attention mask, last position) of the prompts, one row per request.

        ``rows`` names each request's prompt; the prompts are left-padded into one batch.
        """
        import torch
        from transformers import DynamicCache

        # A chat template writes its own special tokens; a plain list needs the tokenizer's BOS.
        enc = self.tok(
            prompts,
            return_tensors="pt",
            padding=True,
            add_special_tokens=self.style is PromptStyle.COMPLETION,
        ).to(self.device)
        mask = enc["attention_mask"]
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.inference_mode():
            cache = DynamicCache(config=self.model.config)
            logits = self.model(
                input_ids=enc["input_ids"],
                attention_mask=mask,
                position_ids=positions,
                past_key_values=cache,
                use_cache=True,
            ).logits[:, -1, :]
            # Requests sharing a prompt share its prefill: repeat the cache rows, not the work.
            cache.reorder_cache(rows)  # type: ignore[arg-type]  # any index tensor works
            return cache, logits[rows], mask[rows], positions[rows, -1]

    def _decode(self, replies: list[_Reply], cache: Any, logits: Any, mask: Any, pos: Any) -> None:
        """Sample a token for every unfinished reply per step, until each is done.

        A finished reply's row leaves the cache, the mask and the positions.
        """
        import torch

        active = list(range(len(replies)))
        with torch.inference_mode():
            for _step in range(max(r.req.max_new_tokens for r in replies)):
                live = [replies[s] for s in active]
                nxt = self._sample(logits, [r.req for r in live], [r.tokens for r in live], [r.gen for r in live])
                keep = []
                for i, (reply, tok) in enumerate(zip(live, nxt)):
                    if self._add_token(reply, tok):
                        keep.append(i)
                if not keep:
                    break
                idx = torch.tensor(keep, device=self.device)
                if len(keep) < len(active):
                    cache.batch_select_indices(idx)
                    mask, pos = mask[idx], pos[idx]
                active = [active[i] for i in keep]
                step_ids = torch.tensor([[replies[s].tokens[-1]] for s in active], device=self.device)
                mask = torch.cat([mask, mask.new_ones((len(active), 1))], dim=1)
                pos = pos + 1
                logits = self.model(
                    input_ids=step_ids,
                    attention_mask=mask,
                    position_ids=pos[:, None],
                    past_key_values=cache,
                    use_cache=True,
                ).logits[:, -1, :]

    def _add_token(self, reply: _Reply, tok: int) -> bool:
        """Add a sampled token to the reply; False once the reply is done (end of sequence, stop string, limit)."""
        if tok in self._eos:
            reply.text = self.tok.decode(reply.tokens, skip_special_tokens=True)
            return False
        reply.tokens.append(tok)
        text = self.tok.decode(reply.tokens, skip_special_tokens=True)
        cut = first_stop(text, reply.stop)
        if cut >= 0:
            reply.text = text[:cut]
        elif len(reply.tokens) >= reply.req.max_new_tokens:
            reply.text, reply.truncated = text, True
        else:
            return True
        return False

    def _sample(
        self, logits: Any, reqs: list[GenerationRequest], history: list[list[int]], gens: list[Any]
    ) -> list[int]:
        """One token per row: repeat penalty, then top-k, min-p, top-p and temperature, as llama.cpp's chain."""
        import torch

        c = self.config
        logits = logits.float().cpu()
        out = []
        for row, req, hist, gen in zip(logits, reqs, history, gens):
            if hist and c.repeat_penalty != 1.0:
                seen = torch.tensor(sorted(set(hist[-_PENALTY_LAST_N:])))
                vals = row[seen]
                row = row.clone()
                row[seen] = torch.where(vals > 0, vals / c.repeat_penalty, vals * c.repeat_penalty)
            if req.temperature <= 0.0:
                out.append(int(row.argmax()))
                continue
            vals, ids = row.topk(min(c.top_k, row.numel()))  # sorted, largest first
            probs = torch.softmax(vals, dim=-1)
            keep = probs >= c.min_p * probs[0]
            keep &= (probs.cumsum(0) - probs) < c.top_p  # the smallest prefix holding top_p of the mass
            vals = vals[keep] / req.temperature
            pick = torch.multinomial(torch.softmax(vals, dim=-1), 1, generator=gen)
            out.append(int(ids[keep][pick]))
        return out
