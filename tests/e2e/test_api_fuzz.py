"""Fuzz the whole OpenAPI document with schemathesis against the running platform, as a
resident and as an administrator: no input may make a 5xx.

Bounded (a few examples per operation, a fixed seed, no shrinking) so that it fits in CI. It
runs on a platform of its own: an administrator's fuzzed requests create categories, gifts
and accounts that other end-to-end tests must not see.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import start_platform

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = int(os.environ.get("HROMADA_FUZZ_EXAMPLES", "30"))
SEED = 20261207
RUN_TIMEOUT = 300  # seconds: a hung run fails rather than blocking the suite


@pytest.fixture(scope="module")
def fuzz_platform(make_amqp_uri, make_database, tmp_path_factory):
    platform = start_platform(make_amqp_uri, make_database, tmp_path_factory, "fuzz")
    yield platform
    platform.stop()


def schemathesis_cli() -> str:
    beside_python = Path(sys.executable).with_name("st")
    found = str(beside_python) if beside_python.exists() else shutil.which("st")
    if not found:
        pytest.fail("schemathesis is not installed (it is in requirements.txt)")
    return found


@pytest.mark.parametrize("who", ["resident", "admin"])
def test_no_fuzzed_request_makes_a_server_error(fuzz_platform, who, tmp_path):
    from deploy.demo import sign_in

    token = sign_in(fuzz_platform.url, f"{who}@demo.hromada")
    report = tmp_path / "junit.xml"
    command = [
        schemathesis_cli(), "run", f"{fuzz_platform.url}/api/v1/openapi.json",
        "--url", fuzz_platform.url,
        "--checks", os.environ.get("HROMADA_FUZZ_CHECKS", "not_a_server_error,status_code_conformance"),
        "--max-examples", str(EXAMPLES_PER_OPERATION), "--seed", str(SEED), "--no-shrink",
        "--phases", "examples,coverage,fuzzing",
        "--generation-database", "none",
        "--workers", "2", "--request-timeout", "20",
        "--header", f"Authorization: Bearer {token}",
        "--report", "junit", "--report-junit-path", str(report),
        "--no-color",
    ]

    run = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                         env={**os.environ, "SCHEMATHESIS_HOOKS": ""}, cwd=tmp_path)

    output = Path(os.environ.get("HROMADA_FUZZ_OUTPUT") or tmp_path) / f"schemathesis-{who}.txt"
    output.write_text(run.stdout + run.stderr)
    assert run.returncode == 0, f"schemathesis found failures as {who} (all of it in {output}):\n{run.stdout[-20000:]}"
