"""`fanpilot eval` as a user runs it: its own scratch database on the embedded server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import embedded
from core.settings import get_settings

pytestmark = pytest.mark.timeout(300)


def test_eval_cli_runs_a_dataset_file_on_a_scratch_database(tmp_path: Path) -> None:
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the CLI creates its scratch database on the embedded server")
    embedded.start_postgres(get_settings())
    embedded.start_redis(get_settings())
    dataset = tmp_path / "one.jsonl"
    first = Path("evals/datasets/policy.jsonl").read_text().splitlines()[0]
    dataset.write_text(first + "\n")
    out = tmp_path / "result.json"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "FANPILOT_APP_DATABASE_URL"}
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli", "eval", "--dataset", str(dataset), "--json", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert json.loads(first)["id"] in out.read_text()
