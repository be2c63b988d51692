"""The progress display: on a terminal's stderr after a second, never otherwise.

A rootfs tarball is fed slowly to ``imgaudit scan -`` (the way a slow ``docker save`` or a
network copy would), so the scan lasts well over the display's delay while staying small.
stderr is a pseudo-terminal of a fixed size; what the child draws there is read back.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest
from builders import make_tree, to_tar

from analyzer.cli import PROGRESS_DELAY
from analyzer.progress import EVERY_ENTRIES

ROOT = Path(__file__).resolve().parent.parent
FILES = 3 * EVERY_ENTRIES
#: How long feeding the archive takes: well past the delay, so the display must appear.
FEED_SECONDS = PROGRESS_DELAY + 0.8
CHUNKS = 20


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A rootfs tarball with enough entries for several snapshots within its one layer."""
    spec = {"etc/hosts": "127.0.0.1 localhost\n"}
    spec.update({f"usr/share/doc/f{i:04}": "x" * 100 for i in range(FILES)})
    return to_tar(make_tree(spec), tmp_path_factory.mktemp("slow") / "slow.tar").read_bytes()


def _feed(process: subprocess.Popen[bytes], data: bytes) -> None:
    assert process.stdin is not None
    step = len(data) // CHUNKS + 1
    for start in range(0, len(data), step):
        process.stdin.write(data[start : start + step])
        process.stdin.flush()
        time.sleep(FEED_SECONDS / CHUNKS)
    process.stdin.close()
    process.stdin = None  # closed: communicate() must not flush it


def _drain(fd: int, sink: bytearray) -> None:
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed its end
            return
        if not chunk:
            return
        sink.extend(chunk)


def slow_scan(archive: bytes, *args: str, tty: bool) -> tuple[int, str, str]:
    """Scan the slow stream; exit code, stdout, and what reached stderr (terminal or pipe)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm"}
    command = [sys.executable, "-m", "analyzer", "scan", "-", "--profile", "golden-image", *args]
    seen = bytearray()
    if tty:
        leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        stderr: int = follower
    else:
        stderr = subprocess.PIPE
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=ROOT
    )
    reader = None
    if tty:
        os.close(follower)
        reader = threading.Thread(target=_drain, args=(leader, seen))
        reader.start()
    _feed(process, archive)
    out, err = process.communicate(timeout=60)
    if reader is not None:
        reader.join(timeout=10)
        os.close(leader)
    else:
        seen.extend(err)
    return process.returncode, out.decode(), seen.decode(errors="replace")


def test_progress_is_drawn_on_a_terminal_and_cleared(archive: bytes) -> None:
    code, out, terminal = slow_scan(archive, tty=True)
    assert code == 0
    assert "\nNo findings.\n" in out
    frames = [frame for frame in terminal.split("\r") if frame.strip()]
    assert frames, f"nothing drawn on the terminal: {terminal!r}"
    pattern = re.compile(
        r"\[00:0\d\] ([0-9,]+) entries, ([0-9.]+)kB of files; "
        r"(reading archive <stdin>|collecting facts|evaluating rules) *$"
    )
    counts, sizes, stages = [], [], []
    for frame in frames:
        match = pattern.match(frame)
        assert match, frame
        counts.append(int(match[1].replace(",", "")))
        sizes.append(float(match[2]))
        stages.append(match[3])
    assert sizes == sorted(sizes)
    assert stages[0] == "reading archive <stdin>"
    assert counts == sorted(counts) and counts[-1] >= EVERY_ENTRIES
    assert terminal.rstrip(" ").endswith("\r"), "the line is cleared at the end"


def test_quiet_keeps_the_terminal_silent(archive: bytes) -> None:
    code, out, terminal = slow_scan(archive, "--quiet", tty=True)
    assert (code, terminal) == (0, "")
    assert "\nNo findings.\n" in out


def test_no_display_when_stderr_is_not_a_terminal(archive: bytes) -> None:
    code, out, err = slow_scan(archive, tty=False)
    assert (code, err) == (0, "")
    assert "\nNo findings.\n" in out
