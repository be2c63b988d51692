"""One exception family; the command line turns each into a one-line message and exit code 2."""

import os

#: Set to ``1`` (the test suite does) to make programming errors in readers crash.
RAISE_BUGS_ENV = "IMGAUDIT_RAISE_BUGS"


def raise_bugs() -> bool:
    """True when a programming error (``KeyError``, ``IndexError``, ...) must crash the run.

    In production a reader bug on one object becomes a ``*.crashed`` notification and the
    run goes on incomplete; the test suite sets :data:`RAISE_BUGS_ENV` so that bugs fail.
    """
    return os.environ.get(RAISE_BUGS_ENV) == "1"


class ImgauditError(Exception):
    """Base of every error the library raises on purpose."""


class UsageError(ImgauditError):
    """The caller asked for something that cannot be done (bad option, unknown profile)."""


class SourceError(ImgauditError):
    """The input cannot be read: missing, unreadable, corrupt or of an unknown kind."""


class CorruptImage(SourceError):
    """A structure of the input is cut short or inconsistent (raised by the readers' helpers)."""


class UnsupportedFeature(SourceError):
    """The input uses a feature no reader here reads; the message names it and where it is."""


class ClosedSourceError(ImgauditError):
    """Data was asked of a source after it was closed: a bug in the caller, never bad input.

    Raised by every reader a source hands out once the source is closed, so that a late read
    fails loudly instead of reading through a stale (possibly reused) file descriptor.
    """


class LimitExceeded(SourceError):
    """A resource cap (entries, bytes, decompression ratio, nesting) was hit."""


class RuleError(ImgauditError):
    """A rule pack is invalid; the message is ``file:line: what is wrong``."""


class IntegrityError(ImgauditError):
    """Content does not match the digest that names it (a layer or blob); it cannot be trusted.

    Kept apart from :class:`SourceError` so that a half-read layer is not reported as a partial
    scan: the whole run stops with one line naming the blob.
    """
