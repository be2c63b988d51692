"""What disk assembly finds: volumes, the chosen root, and which volume is mounted where."""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.model import JSONObject, Level, Notification
from analyzer.sources.disk.device import Device
from analyzer.sources.disk.fsbase import FileSystem
from analyzer.sources.disk.lvm import LogicalVolume
from analyzer.sources.disk.volumes import Partition


@dataclass
class Volume:
    """A readable unit of the disk: the whole disk, a partition or a logical volume."""

    id: str
    device: Device
    partition: Partition | None = None
    lv: LogicalVolume | None = None
    content: str | None = None
    description: str | None = None
    fs: FileSystem | None = None
    mountpoint: str | None = None
    problem: str | None = None
    encrypted: str | None = None
    crypt_uuid: str | None = None

    def as_fact(self) -> JSONObject:
        """Describe the volume and its file system as a JSON-able dict."""
        return {
            "volume": self.id,
            "type": self.fs.fstype if self.fs else self.content,
            "uuid": self.fs.uuid if self.fs else None,
            "label": self.fs.label if self.fs else None,
            "partuuid": self.partition.partuuid if self.partition else None,
            "mountpoint": self.mountpoint,
            "size": self.device.size,
        }

    def summary(self) -> str:
        """What the volume holds and, when it cannot be read, why: for one-line messages."""
        text = f"{self.id}: {self.description or self.content or 'no known content'}"
        return f"{text}, {self.problem}" if self.problem else text


@dataclass
class Layout:
    """What was found on the disk, and which volume is mounted where."""

    scheme: str = "none"
    sector: int = 512
    partitions: list[Partition] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    mounts: list[Volume] = field(default_factory=list)
    root: Root | None = None
    notifications: list[Notification] = field(default_factory=list)

    def note(self, level: Level, code: str, message: str) -> None:
        """Record a notification."""
        self.notifications.append(Notification(level, code, message))


@dataclass(frozen=True, slots=True)
class Root:
    """The chosen root volume, how it was found, and whether that was a heuristic."""

    volume: Volume
    how: str
    heuristic: bool = False

    def as_fact(self) -> JSONObject:
        """Describe the choice as a JSON-able dict."""
        return {"volume": self.volume.id, "how": self.how, "heuristic": self.heuristic}
