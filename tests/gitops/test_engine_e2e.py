"""The three GitOps moments with the real engine and the embedded control plane:
a pull request's plan (changed documents, drift it does not explain, the Markdown comment),
the apply on merge of exactly that commit, and the scheduled job reporting and healing drift.

Repositories are real (a bare remote and a clone, pinned author and dates, so SHAs and the
golden comment are stable).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from .example import EXAMPLE, flexctl, patch_through_api, sign_in_example_users
from .gitrepos import Remote

GOLDEN = Path(__file__).parent / "golden" / "pull-request-comment.md"


@pytest.fixture
def remote(example_remote: Remote) -> Remote:
    return example_remote


def test_report_finds_drift_and_heal_converges(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    url = remote.url
    sign_in_example_users()  # else their grants stay pending: drift heal cannot fix
    assert flexctl("reconcile", "--repo", url, "--once", "--mode", "report") == 2
    assert flexctl("reconcile", "--repo", url, "--once", "--mode", "heal") == 0
    assert flexctl("reconcile", "--repo", url, "--once", "--mode", "report") == 0
    patch_through_api("aws-us-east-1", {"enabled": False})
    capsys.readouterr()
    assert flexctl("reconcile", "--repo", url, "--once", "--mode", "report") == 2
    assert "drift=1" in capsys.readouterr().out
    assert flexctl("reconcile", "--repo", url, "--once", "--mode", "heal") == 0
    assert flexctl("reconcile", "--repo", url, "--once", "--mode", "report") == 0


def test_pull_request_plan_then_apply_on_merge(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    url = remote.url
    sign_in_example_users()  # else apply exits 1 naming their grants as not done
    assert flexctl("apply", "--repo", url, "--ref", "main", "--yes") == 0
    # Someone disables a region in the UI; the pull request does not touch that region.
    patch_through_api("aws-ap-southeast-2", {"enabled": False})
    remote.branch("feature")
    region = (EXAMPLE / "regions" / "aws-us-east-1.yaml").read_text()
    head = remote.commit(
        {
            "regions/aws-us-east-1.yaml": region + "enabled: false\n",
            "workspaces/marketing-eu.yaml": None,
            "workspaces/finance-eu.yaml": (
                "apiVersion: flexctl/v1\nkind: Workspace\nname: finance-eu\nregion: EU\n"
            ),
        },
        "finance workspace, disable the US region, drop marketing",
    )
    remote.push("feature")
    capsys.readouterr()
    code = flexctl(
        "plan", "--repo", url, "--ref", "feature", "--base", "main",
        "--output", "markdown", "--out", "plan.json", "--detailed-exitcode",
    )  # fmt: skip
    # The remote's directory and the server's ids are the parts of the comment that move.
    comment = capsys.readouterr().out.replace(url, "file:///remote.git")
    comment = re.sub(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", comment
    )
    assert code == 2
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(comment)
    assert comment == GOLDEN.read_text()
    assert "Workspace `finance-eu` | added" in comment
    assert "Workspace `marketing-eu` | removed" in comment
    assert "Region `aws-us-east-1` | changed" in comment
    # The UI change to the other region is drift the pull request does not explain.
    assert "aws-ap-southeast-2" in comment.split("### Drift")[1].split("###")[0]

    # The saved plan is tied to the feature commit and to the live state it saw.
    remote.switch("main")
    remote.work.git.merge("--no-ff", "-q", "feature", "-m", "merge feature",
                          env=_pinned_env())  # fmt: skip
    remote.push("main")
    assert flexctl("apply", "plan.json", "--repo", url, "--ref", "main", "--yes") == 1
    assert "the plan was made for commit" in capsys.readouterr().err
    patch_through_api("aws-ap-southeast-2", {"enabled": True})
    assert flexctl("apply", "plan.json", "--yes") == 1
    assert "the live state changed since the plan was made" in capsys.readouterr().err

    # Apply on merge: exactly the merged commit; the deletes the plan showed as blocked are
    # still not done, so apply says so and exits 1, and the next plan still shows them (2).
    assert flexctl("apply", "--repo", url, "--ref", "main", "--yes") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "Apply incomplete: 2 applied; 3 blocked, 0 pending (not done, listed above)."
    assert out[out.index("Not done:") + 3].startswith(
        "  blocked: delete workspace marketing-eu: pruning of workspaces is off"
    )
    assert flexctl("plan", "--repo", url, "--ref", "main", "--detailed-exitcode") == 2
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith("Plan: 0 to create, 0 to update, 0 to delete, 0 to rotate. 3 blocked.")
    )
    assert head  # the feature commit exists in main's history
    assert remote.work.is_ancestor(head, "main")


def _pinned_env() -> dict[str, str]:
    date = "1704153600 +0000"
    return {
        "GIT_AUTHOR_NAME": "flexctl-test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_NAME": "flexctl-test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_DATE": date,
    }


def test_unreachable_remote_is_a_clear_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = (workdir / "nowhere.git").as_uri()
    assert flexctl("plan", "--repo", missing, "--ref", "main") == 1
    err = capsys.readouterr().err
    assert "nowhere.git" in err and "Traceback" not in err
    shutil.rmtree(workdir / ".flexctl", ignore_errors=True)
