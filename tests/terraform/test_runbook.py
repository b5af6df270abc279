"""docs/operations.md has one section per alarm, under the anchor each alarm's description links to."""

from __future__ import annotations

import re

from tests.terraform.tf_support import REPO, TERRAFORM_SOURCE

ALARMS_TF = TERRAFORM_SOURCE / "modules" / "monitoring" / "alarms.tf"
RUNBOOK = REPO / "docs" / "operations.md"
# The per-code alarms (`jobs-failed-${code}`) share one section; alarms.tf links it by this anchor.
PER_CODE_SECTION = "jobs-failed-by-code"


def alarm_keys() -> set[str]:
    # The keys of the alarm maps are the only quoted map keys in alarms.tf ("dlq-depth" = {).
    return set(re.findall(r'^\s+"([a-z0-9-]+)" = \{$', ALARMS_TF.read_text(encoding="utf-8"), flags=re.M))


def runbook_sections() -> set[str]:
    text = RUNBOOK.read_text(encoding="utf-8")
    return set(re.findall(r"^### ([a-z0-9-]+)$", text.split("\n## The alarms\n", 1)[1], flags=re.M))


def test_every_alarm_has_its_runbook_section() -> None:
    keys = alarm_keys()
    assert {"dlq-depth", "api-5xx", "jobs-failed-share"} <= keys, keys  # the parse found the alarms
    assert '"jobs-failed-${code}"' in ALARMS_TF.read_text(encoding="utf-8")
    assert f'"{PER_CODE_SECTION}"' in ALARMS_TF.read_text(encoding="utf-8")
    assert runbook_sections() == keys | {PER_CODE_SECTION}
