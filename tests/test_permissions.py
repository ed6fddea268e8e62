"""One permission policy for everything synthsweep writes: files and directories follow the umask."""

from __future__ import annotations

import os
import stat

import pytest

from common import current_umask, follow_umask, write_json_atomic, write_text_atomic


@pytest.fixture
def umask():
    def set_mask(mask: int) -> None:
        os.umask(mask)

    before = os.umask(0o022)
    os.umask(before)
    yield set_mask
    os.umask(before)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_umask_is_read_without_being_changed(umask):
    umask(0o027)
    assert current_umask() == 0o027
    assert current_umask() == 0o027


@pytest.mark.parametrize("mask, file_mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_follow_the_umask(tmp_path, umask, mask, file_mode):
    umask(mask)
    assert _mode(write_json_atomic(tmp_path / "summary.json", {"a": 1})) == file_mode
    assert _mode(write_text_atomic(tmp_path / "trials.csv", "a\n")) == file_mode
    plain = tmp_path / "plain.txt"
    plain.write_text("written the ordinary way")
    assert _mode(plain) == file_mode, "the same modes as any file the process writes"


def test_a_temporary_directory_is_given_the_umask_modes(tmp_path, umask):
    import tempfile

    umask(0o022)
    d = tempfile.mkdtemp(dir=tmp_path)  # owner-only, as report and export make them
    fd, f = tempfile.mkstemp(dir=d)
    os.close(fd)
    follow_umask(d)
    assert _mode(d) == 0o755 and _mode(f) == 0o644
