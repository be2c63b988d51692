"""JSON documents of an image with the wrong shape are one ``corrupt image`` line naming the path.

Each case takes a valid image (built at test time), changes one value's type in one document
(re-hashing blobs so that digests still match) and asserts the exact error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from builders import make_tree
from imagebuild import Image, docker_files, layer, oci_files, write_dir, write_tar

from analyzer.cli import main
from analyzer.errors import SourceError
from analyzer.model import JSON
from analyzer.sources import open_source
from analyzer.sources.container.shape import DESCRIPTOR, Arr, validate
from analyzer.sources.container.spec import config_layers

Edit = Callable[[Any], None]


def image(tmp: Path) -> Image:
    return Image([layer(tmp, make_tree({"etc/hosts": "127.0.0.1 localhost\n"}))])


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def oci_with(tmp: Path, document: str, edit: Edit) -> Path:
    """An OCI layout whose ``document`` (``index``, ``manifest`` or ``config``) ``edit`` changed."""
    files = oci_files([(image(tmp), "v1")])
    index = json.loads(files["index.json"])
    manifest_name = "blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads(files[manifest_name])
    if document == "config":
        config_name = "blobs/sha256/" + manifest["config"]["digest"].split(":")[1]
        config = json.loads(files.pop(config_name))
        edit(config)
        data = json.dumps(config).encode()
        files[f"blobs/sha256/{sha(data)}"] = data
        manifest["config"]["digest"] = f"sha256:{sha(data)}"
    elif document == "manifest":
        edit(manifest)
    del files[manifest_name]
    data = json.dumps(manifest).encode()
    files[f"blobs/sha256/{sha(data)}"] = data
    index["manifests"][0]["digest"] = f"sha256:{sha(data)}"
    if document == "index":
        edit(index)
    if document == "oci-layout":
        layout = json.loads(files["oci-layout"])
        edit(layout)
        files["oci-layout"] = json.dumps(layout).encode()
    files["index.json"] = json.dumps(index).encode()
    return write_dir(files, tmp / "layout")


def put(path: str, value: Any) -> Edit:
    """An edit that sets the value at a dotted path (``manifests.0.mediaType``)."""

    def edit(document: Any) -> None:
        *parents, last = path.split(".")
        for part in parents:
            document = document[int(part)] if part.isdigit() else document[part]
        document[int(last) if last.isdigit() else last] = value

    return edit


def json_path(dotted: str) -> str:
    """The path as errors spell it: ``manifests.0.mediaType`` -> ``manifests[0].mediaType``."""
    out = ""
    for part in dotted.split("."):
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


#: case -> (document, dotted path, wrong value, what the error says is expected)
OCI_CASES = {
    "media type a list": ("index", "manifests.0.mediaType", ["x"], "a string"),
    "manifests an object": ("index", "manifests", {}, "an array"),
    "annotation a number": ("index", "manifests.0.annotations.k", 1, "a string"),
    "no config": ("manifest", "config", None, "a value (it is required)"),
    "config digest a number": ("manifest", "config.digest", 7, "a string"),
    "layers a string": ("manifest", "layers", "a.tar", "an array"),
    "layer media type a list": ("manifest", "layers.0.mediaType", [], "a string"),
    "diff id a number": ("config", "rootfs.diff_ids.0", 1, "a string"),
    "env a string": ("config", "config.Env", "PATH=/bin", "an array"),
    "history not objects": ("config", "history.0", 1, "an object"),
    "empty layer a string": ("config", "history.0.empty_layer", "yes", "a boolean"),
    "layout version a number": ("oci-layout", "imageLayoutVersion", 1, "a string"),
}


@pytest.mark.parametrize("case", sorted(OCI_CASES))
def test_oci_document_with_a_wrong_type(case: str, tmp_path: Path) -> None:
    document, dotted, value, expected = OCI_CASES[case]
    problem = f"{json_path(dotted)}: expected {expected}"
    layout = oci_with(tmp_path, document, put(dotted, value))
    with pytest.raises(SourceError) as raised:
        open_source(f"oci:{layout}")
    message = str(raised.value)
    assert message.endswith(f": corrupt image: {problem}"), message
    assert "\n" not in message


def test_media_type_list_is_one_line_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout = oci_with(tmp_path, "index", put("manifests.0.mediaType", ["x"]))
    assert main(["scan", str(layout)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    problem = "corrupt image: manifests[0].mediaType: expected a string"
    assert err == f"imgaudit: {layout}: index.json: {problem}\n"


DOCKER_CASES = {
    "layers an object": ("0.Layers", {}, "an array"),
    "repo tag a number": ("0.RepoTags.0", 5, "a string"),
    "config missing": ("0.Config", None, "a value (it is required)"),
    "entry a string": ("0", "x", "an object"),
}


@pytest.mark.parametrize("case", sorted(DOCKER_CASES))
def test_docker_manifest_with_a_wrong_type(case: str, tmp_path: Path) -> None:
    dotted, value, expected = DOCKER_CASES[case]
    problem = f"{json_path(dotted)}: expected {expected}"
    edit = put(dotted, value)
    files, links = docker_files(image(tmp_path), "demo:1")
    manifest = json.loads(files.pop("manifest.json"))
    edit(manifest)
    files["manifest.json"] = json.dumps(manifest).encode()
    archive = write_tar(files, tmp_path / "image.tar", links)
    with pytest.raises(SourceError) as raised:
        open_source(f"docker-archive:{archive}")
    assert str(raised.value).endswith(f"manifest.json: corrupt image: {problem}"), raised.value


def test_nulls_and_unknown_fields_are_accepted() -> None:
    descriptors: JSON = [{"digest": "sha256:00", "mediaType": None, "x-extra": [1, {"a": None}]}]
    assert validate(descriptors, Arr(DESCRIPTOR), "index.json") is descriptors
    with pytest.raises(SourceError, match=r"^index.json: corrupt image: \[0\].size: expected an"):
        validate([{"digest": "sha256:00", "size": True}], Arr(DESCRIPTOR), "index.json")


@pytest.mark.parametrize(
    ("diff_ids", "problem"),
    [
        (lambda ids: [*ids, ids[0]], "2 diff ids for 1 layers"),
        (lambda ids: ["sha256:00"], "malformed diff id 'sha256:00'"),
    ],
)
def test_oci_config_without_one_well_formed_diff_id_per_layer(
    diff_ids: Callable[[list[str]], list[str]], problem: str, tmp_path: Path
) -> None:
    names: list[str] = []

    def edit(config: Any) -> None:
        config["rootfs"]["diff_ids"] = diff_ids(config["rootfs"]["diff_ids"])
        names.append(f"blobs/sha256/{sha(json.dumps(config).encode())}")

    layout = oci_with(tmp_path, "config", edit)
    with pytest.raises(SourceError) as raised:
        open_source(f"oci:{layout}")
    assert str(raised.value) == f"{layout}: {names[0]}: {problem}"


def test_config_layers_pair_diff_ids_with_the_history_that_made_layers() -> None:
    ids = [f"sha256:{n * 64}" for n in "abc"]
    config: JSON = {
        "rootfs": {"diff_ids": ids},
        "history": [
            {"created_by": "ADD base"},
            {"created_by": "ENV x=1", "empty_layer": True},
            {"created_by": "RUN make"},
        ],
    }
    assert isinstance(config, dict)
    assert config_layers(config, 3, "config") == [
        ("a" * 64, "ADD base"),
        ("b" * 64, "RUN make"),
        ("c" * 64, None),
    ]
