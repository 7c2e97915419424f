"""Every cross-document rule has its own broken case (the cases assert the exact messages)."""

from __future__ import annotations

import pytest

from reconciler.config.validate import RULES

from .conftest import BROKEN

RULE_CASES = {
    "exactly_one_organization": ["missing-organization", "two-organizations"],
    "unique_names": [
        "duplicate-names-differing-case",
        "duplicate-workspace-name",
        "duplicate-dataplane-in-region",
    ],
    "workspace_slugs": ["workspace-slug-collision"],
    "previous_names_free": [
        "workspace-previous-name-clash",
        "region-previous-name-clash",
        "dataplane-previous-name-clash",
    ],
    "no_managed_region_names": ["managed-name-collision"],
    "references_resolve": [
        "dangling-workspace-region",
        "dangling-dataplane-region",
        "dataplane-on-managed-region",
        "invalid-region-is-not-also-dangling",
    ],
    "shared_secrets_manager": ["secrets-manager-mismatch"],
    "storage_present": ["no-storage"],
    "residency": [
        "residency-managed-region",
        "residency-missing-jurisdiction",
        "residency-jurisdiction-mismatch",
        "residency-policy-from-organization",
        "jurisdiction-on-managed-region",
    ],
    "one_role_per_user": ["duplicate-access-entry"],
    "no_redundant_grants": ["redundant-workspace-grant"],
    "group_grants_resolve": ["group-references-unknown", "redundant-group-grant"],
    "no_redundant_group_grants": ["redundant-group-grant"],
    "distinct_install_targets": ["same-name-dataplanes-in-two-regions-and-same-target"],
    "distinct_sink_targets": [
        "sink-env-file-shared",
        "sink-env-file-on-state-files",
        "sink-template-without-dataplane",
    ],
    "distinct_gitops_names": ["gitops-name-collision"],
    "secret_file_references": [
        "secret-file-absolute",
        "secret-file-dotdot-escape",
        "secret-file-problems-collected",
    ],
    "sink_names_fit": ["gcp-secret-id-invalid"],
}


def test_every_rule_has_cases() -> None:
    assert sorted(rule.__name__ for rule in RULES) == sorted(RULE_CASES)
    for cases in RULE_CASES.values():
        for case in cases:
            assert (BROKEN / case / "expected.txt").is_file(), case


def test_group_grants_are_gathered_once_for_both_group_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reconciler.config import grouprules
    from reconciler.config.loader import load_directory

    from .conftest import EXAMPLE

    calls: list[object] = []
    real = grouprules._group_grants

    def counting(ctx: object) -> list[grouprules.GroupGrant]:
        calls.append(ctx)
        return real(ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(grouprules, "_group_grants", counting)
    state = load_directory(EXAMPLE)
    assert state.groups  # the example declares a group and grants it roles
    assert len(calls) == 1
