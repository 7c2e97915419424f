"""Real Git repositories for the gitops tests: a bare "remote" and a working clone.

Every commit has the same pinned author and committer and a date that advances one minute per
commit, so SHAs are the same on every run and machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import git

AUTHOR = "flexctl-test"
EMAIL = "test@example.invalid"
EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z


class Remote:
    """A bare repository standing in for GitHub, and a clone to make commits in."""

    def __init__(self, root: Path) -> None:
        self.bare_path = root / "remote.git"
        self.bare = git.Repo.init(self.bare_path, bare=True, initial_branch="main")
        self.work_path = root / "work"
        self.work = git.Repo.init(self.work_path, initial_branch="main")
        self.work.create_remote("origin", str(self.bare_path))
        self._tick = 0

    @property
    def url(self) -> str:
        return self.bare_path.as_uri()

    def commit(self, files: Mapping[str, str | None], message: str) -> str:
        """Write (or, with ``None``, delete) ``files`` and commit them; returns the SHA."""
        for name, text in files.items():
            path = self.work_path / name
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        self.work.git.add("-A")  # one git process per commit: the tests spawn many
        self._tick += 1
        date = f"{EPOCH + 60 * self._tick} +0000"
        env = {
            "GIT_AUTHOR_NAME": AUTHOR,
            "GIT_AUTHOR_EMAIL": EMAIL,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": AUTHOR,
            "GIT_COMMITTER_EMAIL": EMAIL,
            "GIT_COMMITTER_DATE": date,
        }
        self.work.git.commit("-q", "--allow-empty", "-m", message, env=env)
        return self.work.head.commit.hexsha

    def branch(self, name: str, start: str = "main") -> None:
        self.work.git.checkout("-q", "-b", name, start)

    def switch(self, name: str) -> None:
        self.work.git.checkout("-q", name)

    def push(self, *refs: str, force: bool = False) -> None:
        self.work.git.push("-q", *(["--force"] if force else []), "origin", *refs)

    def close(self) -> None:
        self.bare.close()
        self.work.close()


ORGANIZATION = """\
apiVersion: flexctl/v1
kind: Organization
name: acme
organizationId: 11111111-2222-3333-4444-555555555555
airbyteUrl: https://airbyte.example.com
secretsManager:
  type: VAULT
  vault:
    address: https://vault.example.com
defaultStorage:
  type: s3
  buckets: {log: logs, state: state, workloadOutput: output, activityPayload: payload}
  s3: {region: us-east-1, authenticationType: instanceProfile}
"""

REGIONS = """\
apiVersion: flexctl/v1
kind: Region
name: us-east
jurisdiction: US
---
apiVersion: flexctl/v1
kind: Region
name: au-east
jurisdiction: AU
"""


def dataplane(name: str, region: str, *, chart: str = "1.8.1") -> str:
    return f"""\
apiVersion: flexctl/v1
kind: DataPlane
name: {name}
region: {region}
chartVersion: {chart}
cluster: {{kubeContext: {name}, namespace: airbyte, releaseName: {name}}}
"""


def workspace(name: str, region: str, *, jurisdiction: str | None = None) -> str:
    extra = f"jurisdiction: {jurisdiction}\nclassification: sensitive\n" if jurisdiction else ""
    return f"""\
apiVersion: flexctl/v1
kind: Workspace
name: {name}
region: {region}
{extra}"""


#: A small valid organisation: two self-managed regions with a data plane each, two workspaces.
CONFIG: dict[str, str | None] = {
    "config/organization.yaml": ORGANIZATION,
    "config/regions.yaml": REGIONS,
    "config/dataplanes/us.yaml": dataplane("us-1", "us-east"),
    "config/dataplanes/au.yml": dataplane("au-1", "au-east"),
    "config/workspaces/us-data.yaml": workspace("us-data", "us-east", jurisdiction="US"),
    "config/workspaces/marketing.yaml": workspace("marketing", "EU"),
    "README.md": "# config\n",
}
