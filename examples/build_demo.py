"""Build the demo artefact: a small Debian-like golden image with the usual mistakes.

Writes ``OUT/rootfs/`` (the tree) and ``OUT/golden.tar.zst`` (the same tree as an archive, built
with ``bsdtar``), so ``make demo`` can scan it. Nothing is run as root except what the tree
itself needs: files are written as the current user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

BUSYBOX = Path("/bin/busybox")
APPLETS = ("sh", "mount", "umount", "id", "adduser", "deluser")

FILES = {
    "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
    "etc/hostname": "packer-debian-12\n",
    "etc/hosts": "127.0.1.1\tpacker-debian-12\n",
    "etc/nsswitch.conf": "passwd: files\nhosts: files myhostname dns\n",
    "etc/machine-id": "4c4e1f2d8a0b4b7e9d3c2a1f0e9d8c7b\n",
    "etc/ssh/ssh_host_ed25519_key": "-----BEGIN OPENSSH PRIVATE KEY-----\n(demo)\n",
    "etc/ssh/ssh_host_ed25519_key.pub": "ssh-ed25519 AAAA demo\n",
    "root/.bash_history": "apt-get install -y k0s\n",
    "var/lib/systemd/random-seed": "\x00" * 32,
}


def build(out: Path) -> Path:
    """Write the tree and the archive; return the archive path."""
    root = out / "rootfs"
    if root.exists():
        shutil.rmtree(root)
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "var/lib/dbus").mkdir(parents=True, exist_ok=True)
    os.symlink("/etc/machine-id", root / "var/lib/dbus/machine-id")
    (root / "bin").mkdir(exist_ok=True)
    if BUSYBOX.exists():
        shutil.copy2(BUSYBOX, root / "bin/busybox")
        for applet in APPLETS:
            os.symlink("busybox", root / "bin" / applet)
    archive = out / "golden.tar.zst"
    subprocess.run(
        ["bsdtar", "--zstd", "--numeric-owner", "-cf", str(archive), "-C", str(root), "."],
        check=True,
    )
    return archive


def main() -> int:
    """Build into the directory named on the command line."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "demo-out")
    out.mkdir(parents=True, exist_ok=True)
    archive = build(out)
    sys.stdout.write(f"built {archive}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
