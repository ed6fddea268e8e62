"""Hugging Face offline switches: synthsweep never reaches a model hub."""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    # tokenizers forks badly under Ray's worker processes and warns on every trial otherwise.
    "TOKENIZERS_PARALLELISM": "false",
}


def force_offline() -> dict[str, str]:
    """Set the offline switches in this process (and so in children it starts); return them."""
    os.environ.update(OFFLINE_ENV)
    return dict(OFFLINE_ENV)
