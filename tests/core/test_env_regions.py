"""Operator-configured regions (REGIONS=…), parsed only in config.env (policy P40)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mailsoftly.config import env

pytestmark = pytest.mark.policy("P40")


def _load(tmp_path, **values):
    return env.load({"MAILSOFTLY_VAR_DIR": str(tmp_path), **values})


def test_embedded_default_is_two_sqlite_regions_with_the_directory_in_us(tmp_path):
    loaded = _load(tmp_path)
    assert loaded.region_names == ("us", "eu")
    assert loaded.directory_region == "us"
    us, eu = loaded.regions
    assert us.database_url == f"sqlite:///{tmp_path.resolve() / 'mailsoftly.sqlite3'}"
    assert eu.database_url == f"sqlite:///{tmp_path.resolve() / 'mailsoftly-eu.sqlite3'}"
    assert us.media_root == tmp_path.resolve() / "media" / "us"
    assert eu.media_root == tmp_path.resolve() / "media" / "eu"
    assert loaded.worker_regions is None


def test_database_url_and_database_url_eu_still_name_the_two_regions(tmp_path):
    loaded = _load(
        tmp_path,
        DATABASE_URL="postgres://db.example/main",
        DATABASE_URL_EU="postgres://eu-db.example/content",
    )
    assert [(r.name, r.database_url) for r in loaded.regions] == [
        ("us", "postgres://db.example/main"),
        ("eu", "postgres://eu-db.example/content"),
    ]
    # Without DATABASE_URL_EU, the EU database is a sibling of the main one.
    sibling = _load(tmp_path, DATABASE_URL="postgres://db.example/main")
    assert sibling.regions[1].database_url == "postgres://db.example/main_eu"


def test_regions_names_each_database_media_root_and_the_directory(tmp_path):
    loaded = _load(
        tmp_path,
        REGIONS="us=postgres://us.example/us, eu=postgres://eu.example/eu,ch=postgres://ch/ch",
        DIRECTORY_REGION="eu",
        REGION_MEDIA_ROOTS=f"ch={tmp_path / 'swiss'}",
    )
    # The directory's region comes first: its database is Django's "default".
    assert loaded.region_names == ("eu", "us", "ch")
    assert loaded.directory_region == "eu"
    assert loaded.database_url == "postgres://eu.example/eu"
    by_name = {r.name: r for r in loaded.regions}
    assert by_name["ch"].media_root == (tmp_path / "swiss").resolve()
    assert by_name["us"].media_root == tmp_path.resolve() / "media" / "us"
    # Without DIRECTORY_REGION, the first region named holds the directory.
    assert _load(tmp_path, REGIONS="ca=sqlite:///c.db,uk=sqlite:///u.db").directory_region == "ca"


def test_database_urls_are_kept_out_of_the_repr(tmp_path):
    loaded = _load(tmp_path, REGIONS="us=postgres://u:hunter2@db/us,eu=postgres://u:hunter2@db/eu")
    assert "hunter2" not in repr(loaded)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"REGIONS": "us"}, "REGIONS entry 'us' is malformed: expected name=database-url"),
        ({"REGIONS": "us=,eu=sqlite:///e.db"}, "REGIONS entry 'us=' is malformed"),
        ({"REGIONS": "usa=sqlite:///a.db"}, "REGIONS names region 'usa': a region name is two"),
        ({"REGIONS": "US=sqlite:///a.db"}, "REGIONS names region 'US'"),
        ({"REGIONS": "us=sqlite:///a.db,us=sqlite:///b.db"}, "names region 'us' twice"),
        ({"REGIONS": "us=mysql://u:secret@db/x"}, "scheme 'mysql'"),
        ({"REGIONS": "us=sqlite:///a.db,eu=sqlite:///a.db"}, "the same database"),
        ({"REGIONS": " , "}, "REGIONS is empty"),
        (
            {"REGIONS": "us=sqlite:///a.db", "DATABASE_URL": "sqlite:///b.db"},
            "REGIONS and DATABASE_URL are both set",
        ),
        ({"DIRECTORY_REGION": "ch"}, "DIRECTORY_REGION='ch' is not a configured region (us, eu)"),
        (
            {"REGION_MEDIA_ROOTS": "ch=/srv/ch"},
            "REGION_MEDIA_ROOTS names unknown region 'ch': configured regions are us, eu",
        ),
        ({"REGION_MEDIA_ROOTS": "eu"}, "REGION_MEDIA_ROOTS entry 'eu' is malformed"),
        ({"REGION_MEDIA_ROOTS": "us=/srv/m,eu=/srv/m"}, "the same directory"),
        ({"MAILSOFTLY_WORKER_REGIONS": "ch"}, "worker region 'ch' has no database here"),
    ],
)
def test_a_bad_region_entry_is_one_clear_error(tmp_path, values, message):
    with pytest.raises(env.EnvError) as caught:
        _load(tmp_path, **values)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert "secret" not in str(caught.value)


def test_the_cli_exits_2_with_one_line_for_an_unknown_region(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mailsoftly", "manage", "check"],
        env={"MAILSOFTLY_VAR_DIR": str(tmp_path), "REGIONS": "us=sqlite:///a.db,mars=x://y"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "mailsoftly: error: REGIONS names region 'mars': a region name is two "
        "lowercase letters (us, eu, ch …)"
    ]


def test_worker_regions_must_be_configured(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mailsoftly", "worker", "--regions", "eu,ch"],
        env={"MAILSOFTLY_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "mailsoftly: error: --regions names 'ch', which has no database here: "
        "configured regions are us, eu"
    )
