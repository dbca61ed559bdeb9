"""The offline eval suites run in `make test`: a metric under its floor fails the build."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from evals.cases import SUITES, default_dataset, load_cases
from evals.cli import load_thresholds
from evals.metrics import below_threshold, suite_metrics
from evals.runner import run_cases


@pytest.mark.timeout(600)
@pytest.mark.parametrize("suite", SUITES)
async def test_offline_suite_meets_its_floors(engine: AsyncEngine, suite: str) -> None:
    cases = load_cases(default_dataset(suite))
    results = await run_cases(engine, cases, provider="offline", concurrency=8)
    metrics = suite_metrics(results)
    floors = load_thresholds()[suite]
    assert floors["hitl_compliance"] == 1.0
    failing = below_threshold(metrics, floors)
    worst = [f"{r.case.id}: {', '.join(r.failed_checks)}" for r in results if not r.passed][:10]
    assert not failing, f"{suite} below its floors: {failing}\nmetrics: {metrics}\nfailing cases: {worst}"
