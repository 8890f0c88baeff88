import secrets
import subprocess
import sys

import pytest

from mailsoftly.config import env

PROD = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "mail.example.com",
    "BASE_URL": "https://mail.example.com",
    "FIELD_ENCRYPTION_KEYS": "vUSZJ3iwGb5bXvRz0PvN2a-3TRZtbXc0_Q3JEo4w6Vw=",
}


def test_embedded_default_needs_no_variables(tmp_path):
    loaded = env.load({"MAILSOFTLY_VAR_DIR": str(tmp_path)})
    assert loaded.database_url.startswith("sqlite:///")
    assert loaded.broker_url == "filesystem://"
    assert loaded.debug is False
    # The generated secret is kept, so a restart keeps sessions valid.
    assert env.load({"MAILSOFTLY_VAR_DIR": str(tmp_path)}).secret_key == loaded.secret_key


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"BASE_URL": ""}, "BASE_URL"),
        ({"BASE_URL": "ftp://x"}, "BASE_URL"),
        ({"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"PORT": "70000"}, "PORT"),
        ({"PORT": "eighty"}, "PORT"),
        ({"ENVIRONMENT": "staging"}, "ENVIRONMENT"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"FIELD_ENCRYPTION_KEYS": "not-a-key"}, "FIELD_ENCRYPTION_KEYS"),
        ({"FIELD_ENCRYPTION_KEYS": ""}, "FIELD_ENCRYPTION_KEYS"),
    ],
)
def test_bad_value_is_refused_naming_the_variable(tmp_path, override, named):
    with pytest.raises(env.EnvError, match=named):
        env.load({**PROD, "MAILSOFTLY_VAR_DIR": str(tmp_path), **override})


def test_production_with_required_values_loads(tmp_path):
    loaded = env.load({**PROD, "MAILSOFTLY_VAR_DIR": str(tmp_path)})
    assert loaded.production
    assert loaded.allowed_hosts == ["mail.example.com"]


def test_cli_prints_one_clear_line_for_a_missing_secret(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mailsoftly", "manage", "check"],
        env={
            **PROD,
            "SECRET_KEY": "",
            "MAILSOFTLY_VAR_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "mailsoftly: error: SECRET_KEY must be set in production (a long random string)"
    ]


@pytest.mark.policy("P04")
def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mailsoftly",
            "manage",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env={
            **PROD,
            "MAILSOFTLY_VAR_DIR": str(tmp_path),
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "SMTP_URL": "smtp+starttls://user:pw@smtp.example.com:587",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_rejects_production_without_smtp(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mailsoftly", "manage", "check", "--deploy"],
        env={**PROD, "MAILSOFTLY_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "mailsoftly.E001" in result.stderr
    assert "mailsoftly.E002" in result.stderr
