"""File names of a trial checkpoint that other modules (export, audit, resume) read by name.

It imports nothing, so ``trainables`` can export these names without loading torch.
"""

SYNTHETIC_FILE = "synthetic.csv"
"""The exact synthetic examples the trial trained on (id, label, text)."""

TRIAL_META_FILE = "trial.json"
"""The trial's params, classifier, best epoch and synthetic ids: what export and resume read."""
