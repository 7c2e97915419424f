"""Config discovery through the command line (issue 12 item 9): rendering into the config
repository, or keeping the state directory inside it, does not break the next run; running
in the wrong directory is one error."""

from __future__ import annotations

from pathlib import Path

from reconciler.controlplane import open_embedded

from ..engine.harness import EXAMPLE_USERS, ORG_ID
from .conftest import Cli

HELM_RELEASE = (
    "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {{name: r{n}}}\n"
)


def test_rendering_into_the_config_does_not_break_the_next_validate(cli: Cli) -> None:
    rendered = cli("render", "config", "--out", "config/rendered")
    assert rendered.code == 0, rendered.err
    assert sorted(p.name for p in (cli.config / "rendered").iterdir()) == [
        "aws-ap-southeast-2--ap-southeast-2-primary",
        "aws-us-east-1--us-east-1-primary",
    ]
    assert any((cli.config / "rendered").rglob("*.yaml"))  # HelmRelease & co., not config
    checked = cli("validate", "config")
    assert checked.code == 0, checked.out
    assert cli("plan", "config", "--embedded").code == 0


def test_a_state_directory_and_render_output_inside_the_config_are_not_config(cli: Cli) -> None:
    state = ["--state-dir", "config/state", "--embedded"]
    assert cli("plan", "config", *state).code == 0  # bootstraps the embedded control plane
    plane, _ = open_embedded(Path("config/state"), organization_id=ORG_ID)
    with plane:
        for email in EXAMPLE_USERS:
            plane.add_user(email)
    done = cli("apply", "config", *state, "--yes", "--render-out", "config/out")
    assert done.code == 0, done.err
    # The file sink wrote each data plane's Secret manifest (YAML) into config/state/.
    assert sorted(p.name for p in (cli.config / "state" / "credentials").iterdir())
    assert cli("validate", "config").code == 0
    again = cli("plan", "config", *state, "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def test_the_wrong_directory_is_one_error(cli: Cli) -> None:
    wrong = cli.root / "tmp"
    wrong.mkdir()
    for n in range(25):
        (wrong / f"r{n:02}.yaml").write_text(HELM_RELEASE.format(n=n))
    result = cli("validate", "tmp")
    assert result.code == 1
    assert result.out.splitlines() == [
        "tmp: error: no flexctl config here (no Organization document): 25 of the 25 YAML "
        "files hold no flexctl document (apiVersion: flexctl/v1), e.g. tmp/r00.yaml, "
        "tmp/r01.yaml, tmp/r02.yaml and 22 more; run flexctl on the config directory, or list "
        "what is not config in .flexctlignore",
        "1 error(s)",
    ]
