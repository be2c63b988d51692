"""A container image as a :class:`~analyzer.sources.base.Source`: layers in order, with identity.

Each layer is streamed from its blob through libarchive (any compression) and hashed as it is
read; when the layer's entries are exhausted the rest of the blob is hashed too and compared
with its digest, so a tampered blob stops the run with a message naming it. A layer's id is
its digest, the same string :meth:`ContainerImage.target` lists, so a finding's
``Location.layer`` leads to the layer's digest, diff id and ``created_by`` line.
"""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.codecs.magic import sniff
from analyzer.facts.source import SourceFacts
from analyzer.model import JSONObject, LayerInfo, Level, Notification, TargetInfo, TargetKind
from analyzer.sources.archive import ArchiveReader
from analyzer.sources.container.config import image_config
from analyzer.sources.container.digest import Window, verify
from analyzer.sources.container.spec import ImageSpec, LayerRef, Store
from analyzer.stream.entry import Blocks, Entry, LayerStream


class ContainerImage:
    """One image read from a store (an archive, a spool or an OCI layout directory)."""

    def __init__(
        self,
        store: Store,
        spec: ImageSpec,
        reference: str,
        scheme: str,
        notifications: list[Notification] | None = None,
    ) -> None:
        self._store = store
        self._spec = spec
        self._reference = reference
        self._scheme = scheme
        self.notifications: list[Notification] = notifications or []
        self._infos = tuple(self._info(i, ref) for i, ref in enumerate(spec.layers))

    def _info(self, index: int, ref: LayerRef) -> LayerInfo:
        digest = f"sha256:{ref.digest}" if ref.digest else None
        diff_id = f"sha256:{ref.diff_id}" if ref.diff_id else None
        summary = (ref.created_by or "").strip()
        summary = summary if len(summary) <= 80 else summary[:77] + "..."
        return LayerInfo(
            id=digest or diff_id or f"layer-{index + 1}",
            description=f"layer {index + 1}/{len(self._spec.layers)}"
            + (f": {summary}" if summary else ""),
            digest=digest,
            diff_id=diff_id,
            created_by=ref.created_by,
        )

    def layers(self) -> Iterator[LayerStream]:
        """Every layer, lowest first, each as a whiteout-aware stream."""
        for ref, info in zip(self._spec.layers, self._infos, strict=True):
            window = self._store.window(ref.blob)
            yield LayerStream(info, self._entries(window, self._expected(ref, window)), True)

    def _expected(self, ref: LayerRef, window: Window) -> str | None:
        if ref.digest is not None:
            return ref.digest
        if sniff(window.peek(16)) is None:
            return ref.diff_id
        self.notifications.append(
            Notification(
                Level.NOTE,
                "source.unverified",
                f"{window.name}: compressed layer without a digest name; content not verified",
            )
        )
        return None

    def _entries(self, window: Window, expected: str | None) -> Iterator[tuple[Entry, Blocks]]:
        archive = ArchiveReader(
            window.read,
            window.name,
            size=window.size,
            reopen=window.reread,
            notes=self.notifications,
        )
        yield from archive.entries()
        verify(window, expected)
        if archive.unterminated:
            self.notifications.append(
                Notification(
                    Level.NOTE,
                    "source.unterminated",
                    f"{window.name}: layer tar ends without its end-of-archive blocks"
                    " (read to the end of its data)",
                )
            )

    def target(self) -> TargetInfo:
        """The image's identity, platform and layer list."""
        spec = self._spec
        properties: JSONObject = {
            "config_digest": spec.config_digest,
            "platform": spec.platform,
            "repo_tags": spec.repo_tags,
            "layout": spec.layout,
        }
        if spec.manifest_digest:
            properties["manifest_digest"] = spec.manifest_digest
        return TargetInfo(
            self._reference, self._scheme, TargetKind.CONTAINER, self._infos, properties
        )

    def facts(self) -> SourceFacts:
        """The image configuration."""
        return SourceFacts(image_config=image_config(self._spec.config))

    def close(self) -> None:
        """Close the store (and remove its spool, if any)."""
        self._store.close()
