"""``mailsoftly screen``: one JSON verdict per file, for .eml and .html (policy P16)."""

from __future__ import annotations

import json

import pytest

from mailsoftly.cli import main

pytestmark = pytest.mark.policy("P16")

EML = (
    b"From: Support <help@bank-support.example>\r\nSubject: Account suspended\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b"<p>Your account has been suspended. Verify your account now:</p>"
    b'<a href="https://paypa1.com/login">https://www.paypal.com/login</a>\r\n'
)


def test_screen_prints_one_json_verdict_per_file(tmp_path, capsys):
    eml = tmp_path / "phish.eml"
    eml.write_bytes(EML)
    page = tmp_path / "note.html"
    page.write_text("<p>Lunch on Friday? The usual place at noon.</p>", encoding="utf-8")
    assert main(["screen", "--json", str(eml), str(page)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["file"] == str(eml) and first["decision"] == "block"
    assert {"lookalike", "link_text_mismatch"} <= {r["code"] for r in first["reasons"]}
    assert all(r["message"] for r in first["reasons"])
    assert second["decision"] == "pass"


def test_screen_reports_unreadable_files_and_goes_on(tmp_path, capsys):
    page = tmp_path / "ok.html"
    page.write_text("<p>hi</p>", encoding="utf-8")
    assert main(["screen", "--json", str(tmp_path / "missing.eml"), str(page)]) == 1
    captured = capsys.readouterr()
    assert "cannot read" in captured.err
    assert json.loads(captured.out)["decision"] == "pass"
