"""Prompt styles: how a request becomes model text, chosen by the model rather than a global switch.

* ``chat`` (instruct models, those with a chat template): a few-shot chat whose assistant turns
  are the real examples as ``{"text": "..."}``; the reply is opened with ``{"text": "`` and stopped
  at its closing quote, so it is one example and no preamble.
* ``completion`` (base models, no chat template): a numbered list of the real examples under a
  one-line header; the prompt ends with the next number, and generation stops at the end of the
  line, so the model writes exactly one more item.

A paraphrase request (one with a ``source``) renders in either style with the source last: a
chat's one user turn ends with the source as ``{"text": "..."}``, a list ends with
``Original: "..."`` and an open ``Rewritten: "`` line.

Both backends render through these functions, so the same request reads the same to every model
of a style.
"""

from __future__ import annotations

import dataclasses
import enum
import json

from ._types import GenerationRequest

CHAT_PREFILL = '{"text": "'
"""Opens the assistant's JSON reply so the first generated token is already the example's text."""
CHAT_STOP = ['"}', '"\n', '" }']
COMPLETION_STOP = ["\n"]


class PromptStyle(str, enum.Enum):
    AUTO = "auto"
    """``chat`` when the model has a chat template, else ``completion``."""
    CHAT = "chat"
    COMPLETION = "completion"


def resolve_style(requested: PromptStyle | str, has_chat_template: bool, model: str) -> PromptStyle:
    """The style a model is prompted in; ``chat`` without a template is refused with the model named."""
    style = PromptStyle(requested)
    if style is PromptStyle.AUTO:
        return PromptStyle.CHAT if has_chat_template else PromptStyle.COMPLETION
    if style is PromptStyle.CHAT and not has_chat_template:
        raise ValueError(f"{model} has no chat template; prompt it in the completion style")
    return style


def chat_messages(req: GenerationRequest) -> list[dict[str, str]]:
    if req.source:
        return _paraphrase_messages(req)
    messages = [{"role": "system", "content": req.system_prompt}]
    for shot in req.shots:
        messages.append({"role": "user", "content": req.user_prompt})
        messages.append({"role": "assistant", "content": json.dumps({"text": shot}, ensure_ascii=False)})
    messages.append({"role": "user", "content": req.user_prompt})
    return messages


def _paraphrase_messages(req: GenerationRequest) -> list[dict[str, str]]:
    """One user turn: the instruction, any shots (for the label's style), then the source as the JSON the
    reply is to mirror. The source comes last, so groups of a label share everything before it."""
    parts = [req.user_prompt]
    if req.shots:
        parts.append("Other examples with this label:\n" + "\n".join(_json(s) for s in req.shots))
    parts.append(_json(req.source))
    return [{"role": "system", "content": req.system_prompt}, {"role": "user", "content": "\n\n".join(parts)}]


def _json(text: str) -> str:
    return json.dumps({"text": text}, ensure_ascii=False)


def completion_prompt(req: GenerationRequest) -> str:
    """The header, the shots as a numbered list, and the next number for the model to fill.

    Paraphrasing: the header, any shots as examples, the source as ``Original: "..."`` and an open
    ``Rewritten: "`` line, which the model fills and ends at the line's end.
    """
    lines = [req.list_prompt, ""] if req.list_prompt else []
    if req.source:
        lines += [f"Example: {shot}" for shot in req.shots]
        # The open quote makes the first generated token text: after a bare "Rewritten:" small
        # base models often end the line at once.
        return "\n".join([*lines, f'Original: "{req.source}"', 'Rewritten: "'])
    lines += [f"{i}. {shot}" for i, shot in enumerate(req.shots, 1)]
    # No trailing space: tokenizers attach the space to the next word, and a lone space token
    # makes small models stumble.
    lines.append(f"{len(req.shots) + 1}.")
    return "\n".join(lines)


def head_of(req: GenerationRequest) -> GenerationRequest:
    """The request without what changes from one attempt group of its label to the next (shots,
    source): rendered, it is the prompt head every group of the pool shares."""
    return dataclasses.replace(req, shots=(), source="", source_id="")


def unescape_json_fragment(body: str) -> str:
    try:
        return json.loads(f'"{body}"')
    except json.JSONDecodeError:
        return body.replace('\\"', '"').replace("\\n", " ")


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
    return unescape_json_fragment(body.lstrip('"').rstrip("}").rstrip().rstrip('"'))


def reply_text(style: PromptStyle, raw: str, prefilled: bool = True) -> str:
    """The example's text in a raw reply (generated text after the prompt, stop string excluded)."""
    if style is PromptStyle.COMPLETION:
        return raw.strip()
    return unescape_json_fragment(raw) if prefilled else unwrap_json_text(raw)


def first_stop(text: str, stops: list[str]) -> int:
    """Index of the earliest stop string in ``text``, or -1."""
    hits = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(hits) if hits else -1
