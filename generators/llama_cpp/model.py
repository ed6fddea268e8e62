"""A loaded GGUF model that writes one example per request through the model's chat template.

The reply is constrained by a JSON-schema grammar to ``{"text": "..."}``, and the few-shot
examples are shown as earlier assistant turns in the same form, so the model answers with one
example and no preamble.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .._types import Completion, GenerationRequest
from .config import LlamaCppConfig

_SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}


def chat_messages(req: GenerationRequest) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": req.system_prompt}]
    for shot in req.shots:
        messages.append({"role": "user", "content": req.user_prompt})
        messages.append({"role": "assistant", "content": json.dumps({"text": shot}, ensure_ascii=False)})
    messages.append({"role": "user", "content": req.user_prompt})
    return messages


def unwrap_json_text(content: str) -> str:
    """The ``text`` field of a (possibly truncated) ``{"text": "..."}`` reply."""
    try:
        obj = json.loads(content)
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            return obj["text"]
    except json.JSONDecodeError:
        pass
    start = content.find(":")
    body = content[start + 1 :].strip() if start >= 0 else content
    body = body.lstrip('"').rstrip("}").rstrip().rstrip('"')
    try:
        return json.loads(f'"{body}"')
    except json.JSONDecodeError:
        return body


class LlamaCppGenerator:
    """One llama.cpp context; not thread-safe, so its actor serves one request at a time."""

    def __init__(self, config: LlamaCppConfig | None = None, **kwargs: Any):
        from llama_cpp import Llama, LlamaGrammar

        self.config = config or LlamaCppConfig(**kwargs)
        c = self.config
        self.llm = Llama(
            model_path=c.model_path,
            n_ctx=c.n_ctx,
            n_threads=c.n_threads,
            n_threads_batch=c.n_threads,
            n_gpu_layers=c.n_gpu_layers,
            verbose=False,
        )
        self._grammar = LlamaGrammar.from_json_schema(json.dumps(_SCHEMA), verbose=False)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        out = []
        for req in requests:
            # Consecutive requests of one group share their messages, so llama.cpp reuses the
            # processed prompt prefix and only decodes.
            resp = self.llm.create_chat_completion(
                messages=chat_messages(req),
                temperature=req.temperature,
                top_p=self.config.top_p,
                repeat_penalty=self.config.repeat_penalty,
                max_tokens=req.max_new_tokens,
                seed=req.seed,
                grammar=self._grammar,
            )
            choice = resp["choices"][0]
            out.append(
                Completion(
                    text=unwrap_json_text(choice["message"]["content"] or ""),
                    n_tokens=int(resp.get("usage", {}).get("completion_tokens", 0)),
                    truncated=choice.get("finish_reason") == "length",
                )
            )
        return out
