"""write_tree / check_tree and `flexctl render`: up to date, stale, missing, extra; a data
plane's folder removed only when it carries flexctl's marker; user files never deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.main import main
from reconciler.render import MARKER_FILE, check_tree, render_all, write_tree
from tests.render.conftest import CONFIGS, load

US = "aws-us-east-1--us-east-1-primary"
AU = "aws-ap-southeast-2--ap-southeast-2-primary"


def test_write_then_check_is_clean_and_idempotent(tmp_path: Path) -> None:
    files = render_all(load("example"))
    first = write_tree(tmp_path, files)
    assert set(first.written) == set(files)
    assert not check_tree(tmp_path, files).stale
    again = write_tree(tmp_path, files)
    assert again.written == () and again.removed == ()


def test_check_lists_differ_missing_extra(tmp_path: Path) -> None:
    files = render_all(load("example"))
    write_tree(tmp_path, files)
    (tmp_path / US / "values.yaml").write_text("airbyteUrl: changed\n")
    (tmp_path / AU / "README.md").unlink()
    (tmp_path / US / "notes.txt").write_text("mine\n")
    (tmp_path / "unrelated").mkdir()
    (tmp_path / "unrelated" / "x.yaml").write_text("x\n")
    diff = check_tree(tmp_path, files)
    assert diff.lines() == [
        f"differs: {US}/values.yaml",
        f"missing: {AU}/README.md",
        f"extra:   {US}/notes.txt",
    ]


def test_stale_marked_folder_is_removed_but_user_files_kept(tmp_path: Path) -> None:
    files = render_all(load("example"))
    write_tree(tmp_path, files)
    (tmp_path / AU / "operator-notes.md").write_text("mine\n")
    (tmp_path / "hand-made").mkdir()
    (tmp_path / "hand-made" / "values.yaml").write_text("mine\n")
    only_us = {k: v for k, v in files.items() if k.startswith(US)}
    diff = check_tree(tmp_path, only_us)
    assert f"{AU}/values.yaml" in diff.extra and f"{AU}/operator-notes.md" in diff.extra
    report = write_tree(tmp_path, only_us)
    assert f"{AU}/values.yaml" in report.removed and f"{AU}/{MARKER_FILE}" in report.removed
    assert report.kept == (f"{AU}/operator-notes.md",)
    assert sorted(p.name for p in (tmp_path / AU).iterdir()) == ["operator-notes.md"]
    assert (tmp_path / "hand-made" / "values.yaml").read_text() == "mine\n"


def test_file_no_longer_rendered_is_removed_from_live_folder(tmp_path: Path) -> None:
    files = render_all(load("example"))
    write_tree(tmp_path, files)
    fewer = {k: v for k, v in files.items() if not k.endswith("helmrepository.yaml")}
    marker = f"{US}/{MARKER_FILE}"
    fewer[marker] = fewer[marker].replace("helmrepository.yaml\n", "")
    report = write_tree(tmp_path, fewer)
    assert f"{US}/helmrepository.yaml" in report.removed
    assert not (tmp_path / US / "helmrepository.yaml").exists()


def test_cli_render_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rendered"
    state = ["--state-dir", str(tmp_path / "state")]
    config = str(CONFIGS["example"])
    assert main(["render", config, "--out", str(out), "--check", *state]) == 1
    assert f"missing: {US}/values.yaml" in capsys.readouterr().out
    assert main(["render", config, "--out", str(out), *state]) == 0
    assert "rendered 2 data plane folder(s)" in capsys.readouterr().out
    assert main(["render", config, "--out", str(out), "--check", *state]) == 0
    (out / US / "values.yaml").write_text("stale\n")
    assert main(["render", config, "--out", str(out), "--check", *state]) == 1
    assert f"differs: {US}/values.yaml" in capsys.readouterr().out


def test_cli_refuses_out_containing_state_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "render",
            str(CONFIGS["example"]),
            "--out",
            str(tmp_path),
            "--state-dir",
            str(tmp_path / ".flexctl"),
        ]
    )
    assert code == 1
    assert "contains the state directory" in capsys.readouterr().err


def test_cli_reports_render_problems_with_positions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config_copy
) -> None:
    config = config_copy("example")
    path = config / "dataplanes" / "aws-us-east-1.yaml"
    path.write_text(path.read_text() + "values:\n  loging: {level: debug}\n")
    code = main(
        ["render", str(config), "--out", str(tmp_path / "o"), "--state-dir", str(tmp_path / "s")]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert f"{path}:" in err and "values.loging" in err and "did you mean 'logging'" in err
