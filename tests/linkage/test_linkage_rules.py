"""Loader emulation and the elf-linkage / elf-hardening packs on trees built from the corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from builders import File, Item, Symlink
from elfcorpus import MUSL_LIBC, Corpus, build_tree, collect, debian_base, exe

from analyzer.facts import LINKAGE, STATIC_NSS, TARGET
from analyzer.model import Evaluation, Fact, Level, Outcome, TargetKind
from analyzer.policy.engine import evaluate, select
from analyzer.policy.loader import load_pack

RULES = Path(__file__).resolve().parents[2] / "rules"


def run(spec: dict[str, Item], profile: str, **kw: Any) -> list[Evaluation]:
    facts, notes = collect(build_tree(spec), **kw)
    rules = (
        load_pack(RULES / f"{profile}.yaml")
        if profile != "k0s"
        else load_pack(RULES / "elf-linkage.yaml")
    )
    chosen = select(rules, [profile], ["controller", "worker"])
    facts.put(TARGET, Fact.present(TargetKind.ROOTFS))
    return evaluate(chosen, facts, TargetKind.ROOTFS, notes)


def findings(evals: list[Evaluation], min_level: Level = Level.NOTE) -> list[tuple[str, str, str]]:
    return sorted(
        (e.rule_id, e.location.path, e.message)
        for e in evals
        if e.outcome is Outcome.FAIL and e.level.rank >= min_level.rank
    )


def test_clean_glibc_image_is_quiet(corpus: Corpus) -> None:
    spec = {
        **debian_base(),
        "usr/bin/hello": exe(corpus / "hello"),
        "usr/bin/hello-static-pie": exe(corpus / "hello-static-pie"),
    }
    assert findings(run(spec, "elf-linkage")) == []


def test_musl_foreign_and_static_pie_dropped_in(corpus: Corpus) -> None:
    spec = {
        **debian_base(),
        "usr/bin/hello": exe(corpus / "hello"),
        "usr/bin/hello-musl": exe(corpus / "hello-musl"),
        "usr/bin/hello-arm64": exe(corpus / "hello-arm64"),
        "usr/bin/hello-static-pie": exe(corpus / "hello-static-pie"),
    }
    got = findings(run(spec, "elf-linkage"), Level.WARNING)
    assert got == [
        (
            "elf.linkage.architecture",
            "/usr/bin/hello-arm64",
            "/usr/bin/hello-arm64: EM_AARCH64 binary in an EM_X86_64 image",
        ),
        (
            "elf.linkage.interpreter",
            "/usr/bin/hello-arm64",
            "/usr/bin/hello-arm64 cannot start: interpreter /lib/ld-linux-aarch64.so.1 does not"
            " exist in the image",
        ),
        (
            "elf.linkage.interpreter",
            "/usr/bin/hello-musl",
            "/usr/bin/hello-musl cannot start: interpreter /lib/ld-musl-x86_64.so.1 does not exist"
            " in the image",
        ),
    ]


def test_musl_with_its_loader_resolves_libc_so_to_the_loader(corpus: Corpus) -> None:
    spec = {
        **debian_base(),
        "usr/bin/hello": exe(corpus / "hello"),
        "usr/bin/hello-musl": exe(corpus / "hello-musl"),
        "usr/lib/x86_64-linux-musl/libc.so": exe(MUSL_LIBC),
        "usr/lib/ld-musl-x86_64.so.1": Symlink("/usr/lib/x86_64-linux-musl/libc.so"),
    }
    assert findings(run(spec, "elf-linkage")) == []


def test_missing_library_named_with_chain(corpus: Corpus) -> None:
    spec = {**debian_base(), "usr/bin/needs-missing": exe(corpus / "needs-missing")}
    assert findings(run(spec, "elf-linkage")) == [
        (
            "elf.linkage.needed",
            "/usr/bin/needs-missing",
            "/usr/bin/needs-missing cannot load:"
            " libmissing.so.1 (needed by /usr/bin/needs-missing)",
        ),
    ]


def _private(corpus: Corpus, app: str) -> dict[str, Item]:
    return {
        **debian_base(),
        f"usr/bin/{app}": exe(corpus / app),
        "usr/lib/private/libmid.so.1": exe(corpus / "private" / "libmid.so.1"),
        "usr/lib/private/libdep.so.1": exe(corpus / "private" / "libdep.so.1"),
    }


def test_rpath_is_inherited_by_dependencies(corpus: Corpus) -> None:
    assert findings(run(_private(corpus, "rpath-app"), "elf-linkage")) == []


def test_runpath_is_not_inherited(corpus: Corpus) -> None:
    got = findings(run(_private(corpus, "runpath-app"), "elf-linkage"))
    message = "libdep.so.1 (needed by /usr/lib/private/libmid.so.1 <- /usr/bin/runpath-app)"
    assert got == [
        (
            "elf.linkage.needed",
            "/usr/bin/runpath-app",
            f"/usr/bin/runpath-app cannot load: {message}",
        ),
        (
            "elf.linkage.needed",
            "/usr/lib/private/libmid.so.1",
            f"/usr/lib/private/libmid.so.1 cannot load: {message}",
        ),
    ]


def test_removing_a_library_reports_its_direct_users(corpus: Corpus) -> None:
    spec = _private(corpus, "rpath-app")
    del spec["usr/lib/private/libdep.so.1"]
    got = findings(run(spec, "elf-linkage"))
    assert (
        "elf.linkage.needed",
        "/usr/lib/private/libmid.so.1",
        "/usr/lib/private/libmid.so.1 cannot load: libdep.so.1 (needed by"
        " /usr/lib/private/libmid.so.1 <- /usr/bin/rpath-app)",
    ) in got


def test_wrong_class_candidate_is_skipped(corpus: Corpus) -> None:
    spec = _private(corpus, "rpath-app")
    spec["usr/lib/private/libdep.so.1"] = exe(corpus / "hello-arm64")
    spec["usr/lib/x86_64-linux-gnu/libdep.so.1"] = exe(corpus / "private" / "libdep.so.1")
    facts, _ = collect(build_tree(spec))
    entry = facts.get(LINKAGE).get()["/usr/bin/rpath-app"]
    assert ("libdep.so.1", "/usr/lib/x86_64-linux-gnu/libdep.so.1") in entry.libraries
    assert entry.missing == ()


def test_rpath_hygiene(corpus: Corpus) -> None:
    spec = {**_private(corpus, "badpath-app"), "tmp": File("x")}
    del spec["tmp"]
    from builders import Dir

    spec["tmp"] = Dir(mode=0o1777)
    got = findings(run(spec, "elf-linkage"))
    assert (
        "elf.linkage.rpath",
        "/usr/bin/badpath-app",
        "/usr/bin/badpath-app: RUNPATH entry 'lib' is relative (resolved against the working"
        " directory); RUNPATH entry '$ORIGIN/../../../../opt/lib' (/opt/lib) escapes the"
        " image root; RUNPATH entry '/tmp' names a world-writable directory",
    ) in got


def test_static_nss_fact_and_glibc_note(corpus: Corpus) -> None:
    spec = {
        **debian_base(),
        "usr/bin/hello": exe(corpus / "hello"),
        "usr/bin/musl-static": exe(corpus / "hello-musl-static"),
        "usr/bin/nss-static": exe(corpus / "nss-static"),
        "usr/bin/hello-static": exe(corpus / "hello-static"),
        "usr/sbin/ldconfig": exe(corpus / "nss-static"),
    }
    facts, _ = collect(build_tree(spec))
    assert [s.path for s in facts.get(STATIC_NSS).get()] == ["/usr/bin/musl-static"]
    assert findings(run(spec, "elf-linkage")) == [
        (
            "elf.static.glibc-nss",
            "/usr/bin/nss-static",
            "/usr/bin/nss-static: static glibc binary with NSS code linked in: it loads libnss_*"
            " modules at run time and needs them from the same glibc version",
        ),
    ]


def test_k0s_rules_only_for_k0s_binaries(corpus: Corpus) -> None:
    spec = {
        **debian_base(),
        "usr/bin/hello": exe(corpus / "hello"),
        "usr/bin/mount": exe(corpus / "needs-missing"),
        "usr/bin/other": exe(corpus / "needs-missing"),
    }
    got = findings(run(spec, "k0s"))
    assert got == [
        (
            "k0s.linkage.needed",
            "/usr/bin/mount",
            "/usr/bin/mount cannot load: libmissing.so.1 (needed by /usr/bin/mount)",
        )
    ]


def test_hardening_scope_and_findings(corpus: Corpus) -> None:
    spec = {
        **debian_base(),
        "usr/bin/hello": exe(corpus / "hello", mode=0o4755),
        "usr/bin/weak": exe(corpus / "weak"),
        "usr/sbin/weakd": exe(corpus / "weak"),
        "usr/bin/weakcap": exe(corpus / "weak", xattrs={"security.capability": b"\x01"}),
    }
    got = findings(run(spec, "elf-hardening"))
    flagged = sorted({(rule, path) for rule, path, _ in got})
    assert flagged == sorted(
        (f"elf.hardening.{r}", p)
        for r in ("pie", "relro", "nx", "canary", "fortify")
        for p in ("/usr/bin/weakcap", "/usr/sbin/weakd")
    )
    assert (
        "elf.hardening.nx",
        "/usr/sbin/weakd",
        "/usr/sbin/weakd: executable stack: the stack is executable (PT_GNU_STACK missing or RWX)",
    ) in got


def test_corrupt_elf_is_a_notification(corpus: Corpus) -> None:
    spec = {**debian_base(), "usr/bin/broken": File((corpus / "hello").read_bytes()[:3000])}
    facts, notes = collect(build_tree(spec))
    assert [(n.code, n.location.path if n.location else None) for n in notes] == [
        ("elf.corrupt", "/usr/bin/broken")
    ]
    assert "extends past the end of the file" in notes[0].message
    assert facts.get(LINKAGE).get()["/usr/bin/broken"].interp.status == "unknown"
