"""One exception family, and reader bugs that are not passed off as corrupt input."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import analyzer
from analyzer.errors import RAISE_BUGS_ENV, ImgauditError
from analyzer.model import Level
from analyzer.sources.disk.fsbase import Inode, Walk
from analyzer.stream.entry import Blocks, Kind


def test_every_exception_the_package_defines_is_an_imgaudit_error() -> None:
    found = []
    for module in pkgutil.walk_packages(analyzer.__path__, "analyzer."):
        if module.name.endswith("__main__"):
            continue
        loaded = importlib.import_module(module.name)
        for _name, cls in inspect.getmembers(loaded, inspect.isclass):
            if cls.__module__ == loaded.__name__ and issubclass(cls, BaseException):
                found.append(cls)
    assert len(found) >= 10
    assert [c.__qualname__ for c in found if not issubclass(c, ImgauditError)] == []


class _BuggyFs:
    """A reader whose directory listing has a bug (a KeyError)."""

    fstype = "buggyfs"
    uuid: str | None = None
    label: str | None = None
    root = 1

    def inode(self, ino: int) -> Inode:
        return Inode(Kind.DIR, 0o755)

    def listdir(self, ino: int) -> list[tuple[str, int]]:
        missing: dict[str, list[tuple[str, int]]] = {}
        return [("x", 2)] if ino == 1 else missing["missing"]

    def blocks(self, ino: int, inode: Inode) -> Blocks:
        raise AssertionError("no files here")


def test_a_reader_bug_crashes_under_test() -> None:
    with pytest.raises(KeyError):
        list(Walk(_BuggyFs(), "/", "img:disk").entries())


def test_a_reader_bug_is_a_crash_notification_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(RAISE_BUGS_ENV)
    walk = Walk(_BuggyFs(), "/", "img:disk")
    assert [entry.name for entry, _ in walk.entries()] == ["/", "/x"]
    assert [(n.level, n.code, n.message) for n in walk.notifications] == [
        (
            Level.ERROR,
            "disk.reader.crashed",
            "img:disk: /x: directory unreadable: the buggyfs reader failed: KeyError('missing')",
        )
    ]
