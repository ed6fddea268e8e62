"""The one exception type that reaches the user as a single line."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input (config, data, model files, run directory).

    The CLI prints ``error: <message>`` and exits with code 2, without a traceback, so the
    message must name the problem on its own: the key, the file, the column.
    """

    exit_code = 2


class SweepInterrupted(UserError):
    """The sweep stopped before its verdict was written (Ctrl-C, SIGTERM); it can be resumed.

    The CLI prints the message as the last line, without the ``error:`` prefix: it tells the user
    the exact ``synthsweep resume`` command to type.
    """

    exit_code = 130

    def __init__(self, run_dir, done: int, total: int, signum: int = 2):
        self.run_dir, self.done, self.total = run_dir, done, total
        self.exit_code = 128 + signum  # 130 for SIGINT (Ctrl-C), 143 for SIGTERM
        where = (
            f"during its verdict (all {total} trials finished)"
            if done >= total
            else (f"with {done} of {total} trials finished")
        )
        super().__init__(f"sweep interrupted {where}; continue it with: synthsweep resume {run_dir}")


class SweepFailed(UserError):
    """No trial of the sweep finished: every one errored. The message names the first error and the
    file holding its full trace; the CLI prints it as one ``error:`` line and exits 1."""

    exit_code = 1


SHOWN_CHARS = 40
"""A column name or label longer than this is shown by its length only (see ``shown``)."""


def shown(value: object, quote: bool = True) -> str:
    """A column name or label as error messages show it.

    A long one may be record text (a file without a header row turns its first record into
    column names; a text column given as the label column turns records into labels), so only
    its length is shown.
    """
    s = str(value)
    if len(s) > SHOWN_CHARS:
        return f"<{len(s)} characters>"
    return repr(s) if quote else s
