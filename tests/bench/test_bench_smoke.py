"""Each benchmark end to end with tiny parameters: it runs, writes its JSON, and loses nothing.

Behaviour only (keys, counts, integrity); the timings themselves are never asserted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bench import agent, approvals, automation, readme_table, webhooks

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def common(test_db: Any, redis_url: str, tmp_path: Path) -> dict[str, Any]:
    return {"admin_url": test_db.admin_url, "redis_url": redis_url, "results_dir": tmp_path}


def _quiet() -> Console:
    return Console(quiet=True)


def _load(folder: Path, suite: str) -> dict[str, Any]:
    document = json.loads((folder / f"{suite}.json").read_text())
    assert document["suite"] == suite
    assert document["baseline_name"]
    assert {"cpu_count", "python", "postgres", "timestamp"} <= document["machine"].keys()
    return document


def test_webhooks_bench_stores_every_distinct_event_exactly_once(common: dict[str, Any]) -> None:
    code = webhooks.run_cli(
        _quiet(),
        requests=24,
        concurrency=4,
        rates=(20,),
        seconds=0.5,
        warmup=4,
        duplicate_ratio=0.25,
        **common,
    )
    result = _load(common["results_dir"], "webhooks")
    assert code == 0
    assert set(result["product"]) == set(result["baseline"]) == {"saturation", "rate_20"}
    integrity = result["integrity"]
    assert integrity["duplicate_deliveries_sent"] > 0
    assert integrity["lost"] == 0 and integrity["keys_stored_more_than_once"] == 0
    assert integrity["rows_stored"] == integrity["distinct_keys_sent"]
    assert integrity["non_2xx_responses"] == 0
    # The bare baseline has no de-dup: it stores every delivery, re-deliveries included.
    assert integrity["baseline_rows_stored"] == integrity["requests_sent"]
    assert result["throughput_ratio"] > 0
    # Each server's own CPU per request, read from /proc (clock ticks: a tiny run may read 0).
    for side in ("product", "baseline"):
        assert result[side]["saturation"]["server_cpu_ms_per_request"] >= 0


def test_webhooks_bench_refuses_a_phase_past_the_rate_limit(common: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        webhooks.run_cli(_quiet(), requests=webhooks.RATE_LIMIT_PER_PHASE + 1, **common)


def test_agent_bench_reaches_the_gate_on_every_run(common: dict[str, Any]) -> None:
    assert agent.run_cli(_quiet(), runs=2, warmup=0, **common) == 0
    result = _load(common["results_dir"], "agent")
    assert result["all_runs_reached_gate"] is True
    assert result["product"]["outcomes"] == {"interrupted/pending": 2}
    assert result["product"]["n"] == result["baseline"]["n"] == 2
    # A run saves one checkpoint, at its gate (durability "exit"); the empty graph keeps the default.
    assert result["product"]["checkpoints_per_run"] == 1
    assert result["baseline"]["checkpoints_per_run"] > 0
    assert {"overhead_p50_ms", "overhead_p95_ms"} <= result.keys()


def test_approvals_bench_executes_each_item_once(common: dict[str, Any]) -> None:
    assert approvals.run_cli(_quiet(), items=2, warmup=0, **common) == 0
    result = _load(common["results_dir"], "approvals")
    assert result["integrity"] == {
        "items": 2,
        "executed": 2,
        "sent_exactly_once": 2,
        "all_executed_once": True,
    }
    assert result["baseline"]["executed"] == 2
    assert {"p50_ms", "p95_ms"} <= result["product"].keys()
    # Each approval continued its reply run, which executed the item.
    assert result["product"]["outcomes"] == {"completed/executed": 2}


def test_readme_table_renders_known_and_unknown_suites(tmp_path: Path) -> None:
    (tmp_path / "agent.json").write_text(
        json.dumps(
            {
                "suite": "agent",
                "baseline_name": "empty graph",
                "product": {"n": 3, "p50_ms": 90.0, "p95_ms": 99.0, "checkpoints_per_run": 5},
                "baseline": {"n": 3, "p50_ms": 10.0, "p95_ms": 12.0, "checkpoints_per_run": 2},
                "overhead_p50_ms": 80.0,
                "overhead_p95_ms": 87.0,
            }
        )
    )
    (tmp_path / "memory.json").write_text(
        json.dumps({"recall_p50_ms": 4.5, "baseline": {"p50_ms": 1.25, "label": "x"}, "ok": True})
    )
    (tmp_path / "broken.json").write_text("{not json")
    text = readme_table.render(tmp_path)
    assert text.startswith("## Benchmarks")
    assert text.index("### memory") < text.index("### agent")
    assert "| Fanpilot reply run | 3 | 90.0 | 99.0 | 5 |" in text
    assert "p50 80.0 ms" in text
    assert "| recall_p50_ms | 4.500 |" in text and "| baseline.p50_ms | 1.250 |" in text
    assert "### broken" in text and "unreadable" in text


def test_automation_bench_evaluates_once_and_sends_every_delivery_once(common: dict[str, Any]) -> None:
    code = automation.run_cli(_quiet(), fans=60, rules=6, events=8, broadcast=40, concurrency=2, **common)
    result = _load(common["results_dir"], "automation")
    assert code == 0 and result["integrity"]["all"] is True
    assert result["rules"]["run_rows"] == 2 * 2 * 8 * 6
    assert {"concurrency_1", "concurrency_2"} <= result["rules"].keys()
    assert result["broadcast"]["sent"] == result["broadcast"]["recipients"] == 40
