"""The first matching line of a configuration, with sshd's Include and Match rules."""

from __future__ import annotations

import re

from analyzer.model import Location
from analyzer.policy.leaves.contentsearch import SSHD, Expand, Hit, Read, first_match

ROOT_LOGIN = re.compile(r"(?i)^\s*PermitRootLogin\s+(\S+)")
FILES = {
    "/etc/ssh/sshd_config": (
        "# defaults\nInclude /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n"
        "Match User backup\n  PermitRootLogin no\n"
    ),
    "/etc/ssh/sshd_config.d/10-a.conf": "X11Forwarding no\n",
    "/etc/ssh/sshd_config.d/50-cloud.conf": "permitrootlogin prohibit-password\n",
}


def read(files: dict[str, str | None]) -> Read:
    def reader(path: str) -> tuple[str | None, Location, str]:
        if path not in files:
            return None, Location(path), "missing"
        text = files[path]
        return text, Location(path), "" if text is not None else "content not captured"

    return reader


def expand(files: dict[str, str | None]) -> Expand:
    def glob(pattern: str) -> list[str]:
        regex = re.compile(re.escape(pattern).replace(r"\*", "[^/]*") + r"\Z")
        return sorted(p for p in files if regex.match(p))

    return glob


def search(files: dict[str, str | None], mode: str = SSHD) -> Hit:
    return first_match("/etc/ssh/sshd_config", ROOT_LOGIN, read(files), expand(files), mode)


def test_included_drop_in_comes_first_like_sshd() -> None:
    hit = search(dict(FILES))
    assert hit.match is not None and hit.match.group(1) == "prohibit-password"
    assert hit.location == Location("/etc/ssh/sshd_config.d/50-cloud.conf", 1)
    assert hit.line == "permitrootlogin prohibit-password"


def test_without_include_mode_the_main_file_is_searched_alone() -> None:
    hit = search(dict(FILES), mode="")
    assert hit.match is not None and hit.match.group(1) == "yes"
    assert hit.location == Location("/etc/ssh/sshd_config", 3)


def test_relative_include_and_match_blocks() -> None:
    files: dict[str, str | None] = {
        "/etc/ssh/sshd_config": "Match User x\nInclude never.conf\nPermitRootLogin no\n"
        "Match all\nInclude extra.conf\n",
        "/etc/ssh/never.conf": "PermitRootLogin yes\n",
        "/etc/ssh/extra.conf": "PermitRootLogin forced-commands-only\n",
    }
    hit = search(files)
    assert hit.match is not None and hit.match.group(1) == "forced-commands-only"
    assert hit.files == ("/etc/ssh/sshd_config", "/etc/ssh/extra.conf")


def test_unreadable_drop_in_is_named_and_no_match_is_undecided() -> None:
    files: dict[str, str | None] = {
        "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\n",
        "/etc/ssh/sshd_config.d/a.conf": None,
    }
    hit = search(files)
    assert hit.match is None
    assert hit.unread == ("/etc/ssh/sshd_config.d/a.conf: content not captured",)


def test_include_loop_stops_at_the_depth_limit() -> None:
    files: dict[str, str | None] = {"/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config\n"}
    hit = search(files)
    assert hit.match is None
    assert len(hit.files) == 17
