"""synthsweep: search local-LLM synthetic data mixes for the best small text classifier.

Importing this package loads neither Ray, torch nor llama.cpp; they load when a sweep runs.
"""

from ._errors import UserError
from .config import SweepConfig, load_config

__all__ = ["SweepConfig", "UserError", "load_config", "run_sweep"]


def run_sweep(cfg: SweepConfig, address: str | None = None):
    """Run the sweep described by ``cfg``; return its run directory."""
    from ._runner import run_sweep as _run

    return _run(cfg, address=address)
