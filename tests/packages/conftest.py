"""Shared set-up: package databases built once per session with the real rpm and dpkg."""

from pkgbuild import dpkgdb, rpmdb

__all__ = ["dpkgdb", "rpmdb"]
