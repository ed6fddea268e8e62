"""The bottom layer every synthsweep package may import: content hashes, atomic writes, the
user-facing error type and the offline switches. It imports none of the other packages.
"""

from ._atomic import atomic_dir, write_bytes_atomic, write_json_atomic, write_text_atomic
from ._errors import SweepInterrupted, UserError
from ._hashing import sha256_file, sha256_json, sha256_path, sha256_text
from ._offline import OFFLINE_ENV, force_offline

__all__ = [
    "OFFLINE_ENV",
    "SweepInterrupted",
    "UserError",
    "atomic_dir",
    "force_offline",
    "sha256_file",
    "sha256_json",
    "sha256_path",
    "sha256_text",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_text_atomic",
]
