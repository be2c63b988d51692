"""``make fuzz``: every parser family fuzzed in turn, from seeds built now, within limits.

Usage: ``python tests/fuzz/campaign.py [FAMILY ...]`` (all families by default). Environment:
``FUZZ_SECONDS`` per family (default 60), ``FUZZ_TIMEOUT`` seconds per input (default 10),
``FUZZ_RSS_MB`` memory limit of the fuzzing process (default 600: the 300 MB budget of a
scan plus the fuzzer and the instrumented interpreter), ``FUZZ_OUT`` work directory (default
``fuzz-out``). One family runs at a time, under ``nice``. A summary line per family gives
its executions and what it found; the exit status is 1 when anything was found. A timeout or
slow unit is run again alone: one that is fast alone was slow only because the machine was
loaded, and is named as such without failing the campaign. A finding
is kept as ``FUZZ_OUT/FAMILY/crash-*`` (or ``timeout-*``, ``oom-*``): reproduce it with
``FUZZ_FAMILY=F FUZZ_WORK=FUZZ_OUT/F python tests/fuzz/harness.py FILE``, then make it a
regression test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import seeds  # noqa: E402
import targets  # noqa: E402

ARTIFACTS = ("crash-*", "timeout-*", "oom-*", "slow-unit-*", "leak-*")


def fuzz(family: str, out: Path, seconds: int, timeout: int, rss_mb: int) -> tuple[int, list[Path]]:
    """Fuzz one family; return its executions and the artifacts it left."""
    work = out / family
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    corpus = seeds.build(family, work)
    command = [
        "nice", "-n", "10", sys.executable, str(HERE / "harness.py"),
        f"-max_total_time={seconds}", f"-timeout={timeout}", f"-rss_limit_mb={rss_mb}",
        f"-artifact_prefix={work}/", "-print_final_stats=1", str(corpus),
    ]  # fmt: skip
    env = {**os.environ, "FUZZ_FAMILY": family, "FUZZ_WORK": str(work)}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parents[1]), str(HERE)])
    with (work / "fuzz.log").open("w") as log:
        subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, check=False)
    text = (work / "fuzz.log").read_text(errors="replace")
    found = re.findall(r"stat::number_of_executed_units: (\d+)", text)
    runs = int(found[-1]) if found else max(map(int, re.findall(r"^#(\d+)", text, re.M)), default=0)
    return runs, sorted(p for pattern in ARTIFACTS for p in work.glob(pattern))


def alone_ms(family: str, artifact: Path, timeout: int) -> int | None:
    """Milliseconds ``artifact`` takes when run alone, or ``None`` when it fails or hangs alone.

    libFuzzer's per-input limits are wall-clock: on a loaded machine an input that is fast alone
    can pass them. Timeouts and slow units are run again alone to tell the two apart.
    """
    env = {**os.environ, "FUZZ_FAMILY": family, "FUZZ_WORK": str(artifact.parent)}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parents[1]), str(HERE)])
    command = [sys.executable, str(HERE / "harness.py"), "-runs=1", str(artifact)]
    try:  # the process limit leaves room for the start-up; the input's own time is compared
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=timeout + 300, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    found = re.search(r"Executed .* in (\d+) ms", done.stderr + done.stdout)
    return int(found.group(1)) if done.returncode == 0 and found else None


def verdicts(family: str, artifacts: list[Path], timeout: int) -> tuple[list[str], bool]:
    """A word on each artifact, and whether any is a finding (not merely slow under load)."""
    words, real = [], False
    for artifact in artifacts:
        if artifact.name.startswith(("timeout-", "slow-unit-")):
            ms = alone_ms(family, artifact, timeout)
            if ms is not None and ms < timeout * 1000:
                words.append(f"{artifact.name} (slow under load only: {ms} ms alone)")
                continue
        words.append(artifact.name)
        real = True
    return words, real


def main(argv: list[str]) -> int:
    """Run the families named in ``argv`` (all when empty); 1 when anything was found."""
    families = argv or list(targets.FAMILIES)
    unknown = [f for f in families if f not in targets.FAMILIES]
    if unknown:
        sys.stderr.write(f"unknown family {unknown[0]!r} (known: {', '.join(targets.FAMILIES)})\n")
        return 2
    out = Path(os.environ.get("FUZZ_OUT", "fuzz-out")).resolve()
    seconds = int(os.environ.get("FUZZ_SECONDS", "60"))
    timeout = int(os.environ.get("FUZZ_TIMEOUT", "10"))
    rss_mb = int(os.environ.get("FUZZ_RSS_MB", "600"))
    found_any = False
    for family in families:
        runs, artifacts = fuzz(family, out, seconds, timeout, rss_mb)
        words, real = verdicts(family, artifacts, timeout)
        found_any |= real
        names = ", ".join(words) or "nothing found"
        sys.stdout.write(f"{family:10} {runs:>10} executions in {seconds} s: {names}\n")
        sys.stdout.flush()
    return 1 if found_any else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
