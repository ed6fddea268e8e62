"""The one exception type that reaches the user as a single line."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input (config, data, model files, run directory).

    The CLI prints ``error: <message>`` and exits with code 2, without a traceback, so the
    message must name the problem on its own: the key, the file, the column.
    """

    exit_code = 2
