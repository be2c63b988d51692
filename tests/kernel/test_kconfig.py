"""The kconfig parser: every line form, duplicates, lines, and the header."""

from __future__ import annotations

from analyzer.kernel.history import HISTORY
from analyzer.kernel.kconfig import State, parse_text
from analyzer.kernel.symbols import parse_version

CONFIG = """\
#
# Linux/x86 6.1.0 Kernel Configuration
#
CONFIG_NET=y
CONFIG_NF_CONNTRACK=m
CONFIG_EXPLICIT_OFF=n
# CONFIG_IKCONFIG is not set
CONFIG_LSM="landlock,apparmor"
CONFIG_ESCAPED="say \\"hi\\""
CONFIG_NR_CPUS=8192
CONFIG_PHYSICAL_START=0x1000000
  CONFIG_INDENTED=y
CONFIG_NET=m
# a comment mentioning CONFIG_FOO=y
"""


def test_builtin_module_and_explicit_n() -> None:
    config = parse_text(CONFIG)
    assert config.state("CONFIG_NF_CONNTRACK") is State.MODULE
    assert config.state("EXPLICIT_OFF") is State.NO
    assert config.get("EXPLICIT_OFF").line == 6  # type: ignore[union-attr]
    assert not config.enabled("EXPLICIT_OFF")


def test_not_set_keeps_its_line_and_spelling() -> None:
    symbol = parse_text(CONFIG).get("CONFIG_IKCONFIG")
    assert symbol is not None
    assert (symbol.state, symbol.line) == (State.NOT_SET, 7)
    assert symbol.describe() == "# CONFIG_IKCONFIG is not set"


def test_strings_and_numbers_are_values() -> None:
    config = parse_text(CONFIG)
    assert config.get("LSM").value == "landlock,apparmor"  # type: ignore[union-attr]
    assert config.get("ESCAPED").value == 'say "hi"'  # type: ignore[union-attr]
    assert config.get("NR_CPUS").value == "8192"  # type: ignore[union-attr]
    assert config.state("PHYSICAL_START") is State.VALUE


def test_absent_symbol_is_none() -> None:
    config = parse_text(CONFIG)
    assert config.get("CONFIG_FOO") is None
    assert config.state("FOO") is None


def test_duplicate_last_wins_and_is_recorded() -> None:
    config = parse_text(CONFIG)
    net = config.get("NET")
    assert net is not None
    assert (net.state, net.line) == (State.MODULE, 13)
    assert [(d.name, d.lines) for d in config.duplicates] == [("NET", (4, 13))]


def test_indented_assignment_counts_and_header_is_read() -> None:
    config = parse_text(CONFIG)
    assert config.builtin("INDENTED")
    assert (config.arch, config.version) == ("x86", "6.1.0")


def test_versions_and_history() -> None:
    assert parse_version("6.1.0-13-amd64") == (6, 1, 0)
    assert parse_version("3.10.0-1160.el7.x86_64") == (3, 10, 0)
    assert parse_version("lts") is None
    assert HISTORY["NF_CONNTRACK_IPV4"].missing_by_design((6, 1, 0))
    assert not HISTORY["NF_CONNTRACK_IPV4"].missing_by_design((4, 14, 0))
    assert HISTORY["NETFILTER_XT_TARGET_MASQUERADE"].missing_by_design((4, 19))
