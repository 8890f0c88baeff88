import os
import socket
import subprocess
import sys

import pytest

from mailsoftly import cli


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ["serve", "worker", "beat", "demo", "manage", "environment variables"]),
        (["serve"], ["--port", "--demo", "Ctrl-C stops all three"]),
        (["web"], ["granian", "--workers"]),
        (["worker"], ["Celery worker", "Extra arguments are passed to Celery"]),
        (["beat"], ["Celery scheduler", "run exactly one"]),
        (["demo"], ["demo account"]),
    ],
)
def test_help_is_useful_at_every_level(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*argv, "--help"])
    assert exit_info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith(f"usage: mailsoftly {' '.join(argv)}".strip())
    for text in expected:
        assert text in out


@pytest.mark.parametrize(
    ("argv", "command", "option"),
    [
        (["backup"], "backup", "--no-rotate"),
        (["restore"], "restore", "usage"),
        (["workspace", "import"], "workspace_import", "--owner"),
    ],
)
def test_operator_commands_hand_their_arguments_to_the_management_command(
    argv, command, option, capsys
):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*argv, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: mailsoftly manage {command}")
    assert option in out


def test_manage_passes_through_to_django(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "MAILSOFTLY_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "mailsoftly", "manage", "help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "migrate" in result.stdout


def test_serve_refuses_a_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "PATH": os.environ.get("PATH", ""),
            "MAILSOFTLY_VAR_DIR": str(tmp_path),
            "PORT": str(port),
        }
        result = subprocess.run(
            [sys.executable, "-m", "mailsoftly", "serve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"mailsoftly: error: port {port} on 127.0.0.1 is already in use; "
        "set PORT or stop the other server"
    )


def test_bad_port_value_is_one_line(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "MAILSOFTLY_VAR_DIR": str(tmp_path), "PORT": "http"}
    result = subprocess.run(
        [sys.executable, "-m", "mailsoftly", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "mailsoftly: error: PORT='http' is not a whole number"


def test_demo_prints_a_working_login(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "MAILSOFTLY_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "mailsoftly", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "username: demo" in result.stdout
    password = result.stdout.split("password: ")[1].split()[0]
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from django.contrib.auth import authenticate;"
            f"print(authenticate(username='demo', password={password!r}) is not None)",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "mailsoftly.config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.stdout.strip() == "True", check.stderr
