"""Markdown (pull-request comment) rendering: golden files, drift, redaction, size cap."""

from __future__ import annotations

import re

import pytest
from test_output_cases import (
    CANARY_DIGEST,
    DOCUMENTS,
    UNEXPLAINED,
    blocked_only_plan,
    check_golden,
    empty_plan,
    full_plan,
    large_plan,
)

from reconciler.core.output import render
from reconciler.core.output.markdown import MARKER, render_markdown

CUT = (
    "more changes not shown (comment size limit); run flexctl plan locally or see the "
    "plan.json artifact for the full plan."
)


def _full(*, max_bytes: int = 60000) -> str:
    return render_markdown(
        full_plan(), changed_documents=DOCUMENTS, unexplained_drift=UNEXPLAINED, max_bytes=max_bytes
    )


def assert_well_formed(md: str) -> None:
    fences = [line for line in md.splitlines() if re.fullmatch(r"`{3,}\w*", line)]
    assert len(fences) % 2 == 0, fences
    for opening, closing in zip(fences[::2], fences[1::2], strict=True):
        assert closing == opening.rstrip("abcdefghijklmnopqrstuvwxyz"), (opening, closing)
    lines = md.splitlines()
    opened = sum(line.startswith("<details><summary>") for line in lines)
    assert opened == lines.count("</details>") <= 1
    assert md.startswith(MARKER + "\n")
    assert md.endswith("\n") and not md.endswith("\n\n")


def test_golden_full() -> None:
    md = _full()
    assert_well_formed(md)
    check_golden("output_full.md", md)


def test_golden_empty_and_blocked_only() -> None:
    check_golden("output_empty.md", render_markdown(empty_plan()))
    check_golden(
        "output_blocked_only.md", render_markdown(blocked_only_plan(), changed_documents=())
    )


def test_golden_cut_by_a_small_cap() -> None:
    md = _full(max_bytes=2640)
    assert len(md.encode()) <= 2640
    assert_well_formed(md)
    assert "<summary>Plan details (6 of 17 changes shown)</summary>" in md
    assert f"\n\n… 11 {CUT}\n\n" in md
    # Deletes and drift are the last to go.
    assert "- workspace old-sandbox" in md and "~ workspace eu-marketing (drift" in md
    assert "+ region aws-us-east-1" not in md
    check_golden("output_full_cut.md", md)


def test_deterministic() -> None:
    assert _full() == _full()
    assert (
        render(full_plan(), "markdown", changed_documents=DOCUMENTS, unexplained_drift=UNEXPLAINED)
        == _full()
    )


def test_secret_digest_never_printed() -> None:
    md = _full()
    assert CANARY_DIGEST not in md
    assert CANARY_DIGEST.removeprefix("sha256:") not in md
    assert "(sensitive value changed)" in md


def test_drift_section_lists_unexplained_and_every_drift_change() -> None:
    md = _full()
    drift = md.split("### Drift\n")[1].split("\n<details>")[0]
    assert "- Region `eu-west`\n- Workspace `eu-marketing`\n" in drift
    assert "- `~ workspace eu-marketing (drift: changed outside Git)`" in drift
    assert "- `+ workspace finance (drift: deleted outside Git)`" in drift
    assert (
        "- `~ carol@example.com: organization_member → organization_admin in organization "
        "(drift: changed outside Git)`" in drift
    )


def test_no_drift_section_without_drift() -> None:
    assert "### Drift" not in render_markdown(blocked_only_plan())


def test_blocked_changes_are_uncoloured_context_lines() -> None:
    md = _full()
    assert "\n - dataplane aws-us-east-1/old (blocked: pruning" in md
    assert '\n- workspace old-sandbox\n-     id: "ws-old-0005"\n' in md


def test_two_thousand_changes_stay_under_the_cap_and_say_what_was_cut() -> None:
    md = render_markdown(large_plan(2000))
    size = len(md.encode())
    assert 55000 < size <= 60000
    assert_well_formed(md)
    shown = int(re.search(r"Plan details \(([\d,]+) of 2,000 changes shown\)", md)[1])  # type: ignore[index]
    cut = int(re.search(r"… ([\d,]+) " + re.escape(CUT), md)[1].replace(",", ""))  # type: ignore[index]
    assert shown + cut == 2000 and cut > 0
    # Deletes are kept before creates: all 200 are shown.
    assert md.count("\n- workspace ws-") == 200
    assert md.count("\n+ workspace ws-") == shown - 200
    assert md.index("</details>") < md.index(CUT)


@pytest.mark.parametrize("cap", [900, 1500, 2500])
def test_tiny_caps_still_give_valid_markdown(cap: int) -> None:
    md = _full(max_bytes=cap)
    assert len(md.encode()) <= cap
    assert_well_formed(md)
    assert md.rstrip().endswith("7 API calls.")


def test_cap_below_the_bare_summary_is_an_error() -> None:
    with pytest.raises(ValueError, match="max_bytes=100 is too small"):
        _full(max_bytes=100)


def test_hostile_names_cannot_break_the_comment() -> None:
    from test_output_cases import Doc

    doc = Doc("Workspace", "a|b`c", "changed", "w/``x``.yaml")
    md = render_markdown(
        full_plan(), changed_documents=[doc], unexplained_drift=[("Workspace", "</details>```")]
    )
    assert_well_formed(md)
    assert "| Workspace ``a\\|b`c`` | changed | ```w/``x``.yaml``` |" in md
    assert "- Workspace ```` </details>``` ````" in md
