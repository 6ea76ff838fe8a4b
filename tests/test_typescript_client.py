"""A TypeScript client generated from the committed openapi.yaml works against a live server.

clients/typescript/ pins openapi-typescript (types), openapi-fetch (runtime), typescript and tsx
in its package-lock.json. Once per session the test installs them (`npm ci`) and generates
schema.d.ts from openapi.yaml; then `tsc --strict` checks check.ts against the generated types,
and check.ts runs against a live server with the article data: events of Pakistan page by page,
an event, the tariff measures in force on a day, the stats; it exits 1 on any answer that does
not match the types or the data.

Without Node.js 20+ and npm these tests are skipped, unless REQUIRE_NODE=1 (as in CI), which
makes their absence a failure.
"""

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "clients" / "typescript"
NODE_MAJOR = 20
TIMEOUT = 600  # seconds for any one step; npm ci on a loaded 2-core CI machine takes a while

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def require_node() -> None:
    reason = None
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        reason = "Node.js and npm are not on PATH"
    else:
        version = subprocess.run(
            [node, "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if int(version.lstrip("v").split(".")[0]) < NODE_MAJOR:
            reason = f"Node.js {version} is older than {NODE_MAJOR}"
    if reason is not None:
        reason = f"the TypeScript client test needs Node.js {NODE_MAJOR}+ and npm: {reason}"
        if os.environ.get("REQUIRE_NODE", "").lower() in {"1", "true", "yes", "on"}:
            pytest.fail(f"REQUIRE_NODE is set, but {reason}")
        pytest.skip(reason)


def run(*command: str) -> str:
    """Run a command in clients/typescript/; its output, or a failure that shows it."""
    env = {**os.environ, "NO_COLOR": "1", "npm_config_update_notifier": "false"}
    result = subprocess.run(
        command,
        cwd=CLIENT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{output}"
    return output


@pytest.fixture(scope="session")
def installed() -> None:
    """The pinned packages installed (`npm ci`, into clients/typescript/node_modules, which git
    ignores) and schema.d.ts generated from the committed openapi.yaml, once per session."""
    require_node()
    run("npm", "ci", "--no-audit", "--no-fund")
    run("npm", "run", "generate")


def test_it_type_checks_strictly_against_the_generated_types(installed: None) -> None:
    run("npm", "run", "typecheck")


def test_it_reads_the_article_through_the_generated_client(
    installed: None, live_server: Any
) -> None:
    output = run("npm", "run", "check", "--", live_server.url)
    assert "events?country=PK: 4 events over 4 pages" in output, output
    assert output.rstrip().endswith("ok"), output
