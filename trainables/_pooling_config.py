"""Which pooling a sentence-transformers checkpoint was trained with, read from its files.

Apart from ``_pooling`` (torch and transformers) so that the feature cache's key can be computed,
and cached features used, without importing transformers: 3 s in a fresh trial worker.
"""

from __future__ import annotations

import json
import os


def read_pooling(model_dir: str | os.PathLike[str]) -> tuple[str, bool]:
    """(pooling mode, L2-normalise?) from a sentence-transformers checkpoint; ("mean", False) without one."""
    mode, normalize = "mean", False
    pooling_cfg = os.path.join(model_dir, "1_Pooling", "config.json")
    if os.path.isfile(pooling_cfg):
        with open(pooling_cfg, encoding="utf-8") as f:
            flags = json.load(f)
        for name in ("cls_token", "max_tokens", "mean_sqrt_len_tokens", "mean_tokens"):
            if flags.get(f"pooling_mode_{name}"):
                mode = {"cls_token": "cls", "max_tokens": "max", "mean_sqrt_len_tokens": "mean_sqrt_len"}.get(
                    name, "mean"
                )
                break
    modules = os.path.join(model_dir, "modules.json")
    if os.path.isfile(modules):
        with open(modules, encoding="utf-8") as f:
            normalize = any(str(m.get("type", "")).endswith(".Normalize") for m in json.load(f))
    return mode, normalize
