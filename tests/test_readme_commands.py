"""Every command the README and `make run` show works as a newcomer types it (issue 13).

The commands run in a copy of the checkout (sharing its virtualenv) with an environment that sets
no DJANGO_ or DATABASE_ variable, as a fresh terminal has none: what they need comes from the
`.env` that `make data` writes, and they use the copy's own SQLite database.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PORT = 9437  # this project's tests may listen on 9400-9499


def readme_commands() -> list[str]:
    """The lines of the README's `sh` blocks that run manage.py or a make target, continuation
    lines joined, in the README's order (each block's lines stay together in that order)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            if "manage.py" in line or line.startswith("make "):
                commands.append(line.strip())
    return commands


def make_run_commands() -> list[str]:
    """The commands `make run` prints for the developer to type."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run = makefile.split("\nrun: ", 1)[1].split("\n\n", 1)[0]
    return [
        line.replace("$(BIN)", ".venv/bin")
        for line in re.findall(r'^\t@echo "      (.+)"$', run, flags=re.MULTILINE)
    ]


def test_it_finds_the_commands_it_runs() -> None:
    # A guard for the extraction itself: these are the commands the test below must meet.
    commands = readme_commands()
    assert "make run    # set up, load the article's data, serve on http://127.0.0.1:8000/" in (
        commands
    )
    for needle in (
        "manage.py createsuperuser",
        "make editor",
        "manage.py drf_create_token editor",
        "manage.py import_data",
        "manage.py load_cameo",
    ):
        assert any(needle in command for command in commands), needle
    assert make_run_commands() == [".venv/bin/python manage.py createsuperuser", "make editor"]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of this checkout with no database and no .env, sharing the virtualenv."""
    copy = tmp_path / "policyapi"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".env", "db.sqlite3*", "staticfiles", ".*_cache", "__pycache__"
        ),
    )
    (copy / ".venv").symlink_to((ROOT / ".venv").resolve())
    # The shared virtualenv is installed: the copy's requirements must not look newer than its
    # stamp, or make would reinstall them.
    for name in ("requirements.txt", "requirements-dev.txt"):
        os.utime(copy / name, (0, 0))
    return copy


def fresh_terminal_env() -> dict[str, str]:
    skip = ("DJANGO_", "DATABASE_", "REDIS_", "POLICYAPI_", "PORT", "HOST")
    return {k: v for k, v in os.environ.items() if not k.startswith(skip)}


def run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],  # noqa: S607 - a terminal finds them on PATH
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{command}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def wait_for_port(port: int, server: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "make run exited"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"make run did not listen on {port}")


def test_every_readme_and_make_run_command_works_as_typed(checkout: Path) -> None:
    env = fresh_terminal_env()
    # `make run` sets up (`make data`: .env, migrate, the article, the codebook), then serves.
    server = subprocess.Popen(
        ["make", "run", f"PORT={PORT}"],  # noqa: S607
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for_port(PORT, server, seconds=180)
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/") as response:
            assert response.status == 200
        assert (checkout / ".env").read_text().splitlines()[-1] == "DJANGO_DEBUG=1"

        # The admin user `make run` tells the developer to create: --noinput, the password
        # from the environment (the prompt is all that differs from the command as shown).
        [createsuperuser, editor] = make_run_commands()
        superuser_env = {
            **env,
            "DJANGO_SUPERUSER_USERNAME": "admin",
            "DJANGO_SUPERUSER_EMAIL": "admin@example.org",
            "DJANGO_SUPERUSER_PASSWORD": "correct-horse-battery-9",
        }
        run(f"{createsuperuser} --noinput", checkout, superuser_env)
        run(editor, checkout, env)

        ran = []
        for command in readme_commands():
            if command.startswith(("make run", "make test")):
                continue  # running above; the test suite is what runs this
            if command.endswith("manage.py createsuperuser   # an admin for /admin/"):
                continue  # run above, with --noinput
            if command.startswith("TOKEN="):
                # The README's write example, against the server `make run` started.
                block = f'{command}\ntest -n "$TOKEN"\n' + write_example().replace(
                    "127.0.0.1:8000", f"127.0.0.1:{PORT}"
                )
                result = run(block, checkout, env)
                assert '"slug":"export-controls"' in result.stdout.replace(" ", "")
            else:
                run(command, checkout, env)
            ran.append(command)
        assert any("import_data" in command for command in ran)
        assert any("load_cameo" in command for command in ran)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def write_example() -> str:
    """The README's first write: the curl after the TOKEN line, in the same block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^TOKEN=.*?\n(curl -X POST .*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    assert block, "the README's write example"
    return "curl -sS --fail-with-body " + block.group(1).removeprefix("curl ")
