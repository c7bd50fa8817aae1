"""Every failure ends with a one-line reason on stderr and exit status 1 (the contract), not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from ilos.entrypoints.cli import common
from tests.cli import ilos


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_a_store_path_the_file_system_refuses(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = ilos("export", "links", db=str(blocker / "ilos.db"))
    assert result.code == 1
    assert str(blocker) in _one_line(result.err)


def test_a_setting_that_does_not_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ILOS_NOW", "garbage")
    result = ilos("export", "links", db=str(tmp_path / "ilos.db"))
    assert result.code == 1
    assert _one_line(result.err).startswith("error: invalid setting: ILOS_NOW:")


def test_an_unforeseen_failure_and_its_traceback_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(common, "Settings", broken)
    result = ilos("summary", db=str(tmp_path / "ilos.db"))
    assert result.code == 1
    assert _one_line(result.err) == "error: unexpected RuntimeError: boom (ILOS_DEBUG=1 shows the traceback)"
    monkeypatch.setenv("ILOS_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        ilos("summary", db=str(tmp_path / "ilos.db"))


def test_usage_errors_keep_their_status_on_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "ilos.db")
    cases = {
        (
            "report",
            "overstays",
            "--fiscal-year",
            "2024",
            "--format",
            "xyz",
        ): "--format must be csv, md or html",
        ("report", "overstays", "--fiscal-year", "abc"): "Invalid value for '--fiscal-year'",
        ("report", "overstays"): "Missing option '--fiscal-year'",
        ("report", "departures", "--from", "2024-03-11", "--to", "2024-03-10"): "is before --from",
        ("export", "links", "--bogus"): "No such option: --bogus",
        ("nosuch",): "No such command 'nosuch'",
    }
    for argv, reason in cases.items():
        result = ilos(*argv, db=db)
        assert result.code == 2, argv
        line = _one_line(result.err)
        assert line.startswith("error: "), line
        assert reason in line, line
        assert "--help" in line, line
        assert "unexpected" not in line
