"""The SARIF validators catch what GitHub rejects, so a passing SARIF test means something."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from analyzer.report import sarif

from .factory import sample
from .github_rules import github_problems, uri_problems
from .validate import sarif_schema, validate_sarif

Doc = dict[str, Any]


def valid() -> Doc:
    doc: Doc = json.loads(sarif.render(sample()))
    return doc


def first_result(doc: Doc) -> Doc:
    found: Doc = doc["runs"][0]["results"][0]
    return found


def first_location(doc: Doc) -> Doc:
    location: Doc = first_result(doc)["locations"][0]["physicalLocation"]
    return location


def set_uri(value: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        first_location(doc)["artifactLocation"]["uri"] = value

    return mutate


def test_schema_file_is_the_oasis_draft4_schema() -> None:
    schema = sarif_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")


def test_valid_document_passes() -> None:
    validate_sarif(valid())


def drop_rule_help(doc: Doc) -> None:
    del doc["runs"][0]["tool"]["driver"]["rules"][0]["help"]


def duplicate_rule(doc: Doc) -> None:
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    rules.append(copy.deepcopy(rules[0]))


def numeric_severity(doc: Doc) -> None:
    doc["runs"][0]["tool"]["driver"]["rules"][1]["properties"]["security-severity"] = 5.5


def severity_out_of_range(doc: Doc) -> None:
    doc["runs"][0]["tool"]["driver"]["rules"][1]["properties"]["security-severity"] = "11.0"


def too_many_tags(doc: Doc) -> None:
    doc["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["tags"] = [str(i) for i in range(21)]


def no_locations(doc: Doc) -> None:
    first_result(doc)["locations"] = []


def two_locations(doc: Doc) -> None:
    locations = first_result(doc)["locations"]
    locations.append(copy.deepcopy(locations[0]))


def undefined_base(doc: Doc) -> None:
    del doc["runs"][0]["originalUriBaseIds"]


def no_region(doc: Doc) -> None:
    del first_location(doc)["region"]


def zero_line(doc: Doc) -> None:
    first_location(doc)["region"]["startLine"] = 0


def no_fingerprint(doc: Doc) -> None:
    del first_result(doc)["partialFingerprints"]


def no_category(doc: Doc) -> None:
    del doc["runs"][0]["automationDetails"]


def wrong_rule_index(doc: Doc) -> None:
    first_result(doc)["ruleIndex"] = 1


def empty_message(doc: Doc) -> None:
    first_result(doc)["message"]["text"] = ""


def two_runs_one_category(doc: Doc) -> None:
    doc["runs"].append(copy.deepcopy(doc["runs"][0]))


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (set_uri(""), "uri is empty"),
        (set_uri("haproxy:2.4/etc/hosts"), "colon in its first segment"),
        (set_uri("image/etc/my file"), "RFC 3986"),
        (set_uri("image/100%.conf"), "not a percent-encoding"),
        (set_uri("/etc/hosts"), "absolute"),
        (drop_rule_help, "help"),
        (duplicate_rule, "duplicate rules"),
        (numeric_severity, "must be a string"),
        (severity_out_of_range, "outside 0.0-10.0"),
        (too_many_tags, "more than 20 tags"),
        (no_locations, "0 locations"),
        (two_locations, "2 locations"),
        (undefined_base, "not defined in originalUriBaseIds"),
        (no_region, "startLine None"),
        (zero_line, "startLine"),
        (no_fingerprint, "primaryLocationLineHash"),
        (no_category, "automationDetails.id"),
        (wrong_rule_index, "ruleIndex 1"),
        (empty_message, "message.text"),
        (two_runs_one_category, "used by another run"),
    ],
)
def test_github_rule_violations_are_reported(mutate: Callable[[Doc], None], complaint: str) -> None:
    doc = valid()
    mutate(doc)
    with pytest.raises(AssertionError, match="invalid SARIF") as caught:
        validate_sarif(doc)
    assert complaint in str(caught.value)


def test_schema_violation_is_reported_with_its_path() -> None:
    doc = valid()
    first_result(doc)["level"] = "fatal"
    with pytest.raises(AssertionError, match=r"schema: runs/0/results/0/level: 'fatal'"):
        validate_sarif(doc)


def test_too_many_results_is_a_github_problem() -> None:
    doc = valid()
    doc["runs"][0]["results"] = [first_result(doc)] * 25_001
    assert any("25001 results exceed" in p for p in github_problems(doc))


def test_encoded_uri_with_colon_later_is_fine() -> None:
    assert uri_problems("image/etc/foo:bar") == []
    assert uri_problems("image/etc/foo%3Abar") == []
