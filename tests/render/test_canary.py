"""No secret value ever lands under --out: canary values in every env-referenced secret and
in the credentials the sinks write; render and write the tree; scan every byte under it."""

from __future__ import annotations

from pathlib import Path

from reconciler.render import render_all, write_tree
from reconciler.sinks import DataplaneCredentials, sink_for
from reconciler.statedir import StateDir
from tests.render.conftest import CONFIGS, load

CANARY = "CANARY-7f3a9c"
ENV = {
    name: f"{CANARY}-{name}"
    for name in (
        "GLOBEX_GSM_CREDENTIALS",
        "GLOBEX_GCS_CREDENTIALS",
        "GLOBEX_S3_KEY_ID",
        "GLOBEX_S3_SECRET",
        "INITECH_VAULT_TOKEN",
        "INITECH_MINIO_KEY",
        "INITECH_MINIO_SECRET",
    )
}


def test_no_secret_under_out(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)  # render must not read them even when present
    out = tmp_path / "out"
    state = StateDir(tmp_path / "state")
    written_somewhere = 0
    for name in sorted(CONFIGS):
        desired = load(name)
        for dataplane in desired.dataplanes:
            creds = DataplaneCredentials(
                f"{CANARY}-id", f"{CANARY}-client-id", f"{CANARY}-client-secret"
            )
            sink = sink_for(desired, dataplane, state_dir=state, env=ENV)
            if desired.credentials_for(dataplane).type.value != "kubernetes":
                sink.write(creds)
                written_somewhere += 1
        write_tree(out / name, render_all(desired))
    # The sinks did receive the canaries (so the scan below is meaningful) ...
    state_bytes = b"".join(p.read_bytes() for p in state.root.rglob("*") if p.is_file())
    assert written_somewhere >= 4 and state_bytes.count(CANARY.encode()) >= 12
    assert f"{CANARY}-GLOBEX_S3_SECRET".encode() in state_bytes
    # ... and none reached --out.
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 20
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
