"""The README's benchmark section, rebuilt from every bench/results/*.json present.

`python -m bench.readme_table` prints it. Suites this module knows (webhooks, agent, approvals) get a
table each; any other result file (memory.json from the memory benchmark, or a future suite) gets its
top-level numbers, and the numbers one level down, so nothing present is left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._common import RESULTS_DIR

KNOWN_ORDER = ("webhooks", "memory", "memory-1m", "agent", "approvals", "automation", "performance", "locomo")


def _num(value: Any, digits: int = 1) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "–"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _machine_line(document: dict[str, Any]) -> str:
    machine = document.get("machine")
    if not isinstance(machine, dict):
        return ""
    parts = [
        f"{machine.get('cpu_count', '?')} cores" if "cpu_count" in machine else "",
        f"Python {machine['python']}" if "python" in machine else "",
        f"PostgreSQL {machine['postgres']}" if "postgres" in machine else "",
        f"load {machine['load_average_1m']}" if machine.get("load_average_1m") is not None else "",
        str(machine.get("timestamp", "")),
    ]
    return "_" + ", ".join(p for p in parts if p) + "_"


def _webhooks(doc: dict[str, Any]) -> str:
    product, baseline = doc.get("product", {}), doc.get("baseline", {})
    rows = []
    for phase in product:
        label = "saturation" if phase == "saturation" else f"{phase.removeprefix('rate_')} req/s offered"
        for side, data in (("baseline", baseline.get(phase, {})), ("Fanpilot", product.get(phase, {}))):
            rows.append(
                [
                    label,
                    side,
                    _num(data.get("achieved_rps"), 0),
                    _num(data.get("p50_ms"), 2),
                    _num(data.get("p99_ms"), 2),
                ]
            )
    integrity = doc.get("integrity", {})
    params = doc.get("parameters", {})
    note = (
        f"Throughput ratio Fanpilot/baseline: **{doc.get('throughput_ratio')}** at concurrency "
        f"{params.get('concurrency')}. {integrity.get('distinct_keys_sent')} distinct events + "
        f"{integrity.get('duplicate_deliveries_sent')} re-deliveries → {integrity.get('rows_stored')} rows, "
        f"lost {integrity.get('lost')}, stored twice {integrity.get('keys_stored_more_than_once')}"
        + (" (**zero lost**)." if integrity.get("zero_lost") else " (**events lost or duplicated**).")
    )
    return _table(["load", "side", "req/s", "p50 ms", "p99 ms"], rows) + "\n\n" + note


def _agent(doc: dict[str, Any]) -> str:
    rows = []
    for side, label in (("baseline", "empty graph"), ("product", "Fanpilot reply run")):
        data = doc.get(side, {})
        rows.append(
            [
                label,
                _num(data.get("n")),
                _num(data.get("p50_ms")),
                _num(data.get("p95_ms")),
                _num(data.get("checkpoints_per_run"), 0),
            ]
        )
    note = (
        f"Fanpilot's non-LLM overhead per reply run: **p50 {_num(doc.get('overhead_p50_ms'))} ms**, "
        f"p95 {_num(doc.get('overhead_p95_ms'))} ms (offline model)."
    )
    return _table(["side", "runs", "p50 ms", "p95 ms", "checkpoints/run"], rows) + "\n\n" + note


def _approvals(doc: dict[str, Any]) -> str:
    product = doc.get("product", {})
    rows = [
        ["bare UPDATE + INSERT", doc.get("baseline", {})],
        ["Fanpilot approve → executed (decide, deliver now)", product],
    ]
    table = _table(
        ["path", "n", "p50 ms", "p95 ms"],
        [[label, _num(d.get("n")), _num(d.get("p50_ms")), _num(d.get("p95_ms"))] for label, d in rows],
    )
    integrity = doc.get("integrity", {})
    return (
        table
        + f"\n\n{integrity.get('sent_exactly_once')}/{integrity.get('items')} approved items sent exactly once."
    )


def _automation(doc: dict[str, Any]) -> str:
    rules, params = doc.get("rules", {}), doc.get("parameters", {})
    rows = []
    for key, data in rules.items():
        if key.startswith("concurrency_") and isinstance(data, dict):
            rows.append(
                [
                    key.removeprefix("concurrency_"),
                    _num(data.get("plain_webhook_job_eps")),
                    _num(data.get("webhook_job_with_rules_eps")),
                    _num(data.get("evaluation_eps")),
                    _num(data.get("evaluation_ms_per_event"), 2),
                    _num(data.get("redelivery_eps")),
                ]
            )
    table = _table(
        ["jobs at once", "baseline: plain webhook job ev/s", "webhook job with the rules ev/s",
         "evaluator alone ev/s", "ms per evaluation", "redelivered events ev/s"],
        rows,
    )  # fmt: skip
    b = doc.get("broadcast", {})
    integrity = doc.get("integrity", {})
    return (
        f"{params.get('rules')} rules on the event's trigger, {_num(params.get('fans'))} fans, "
        f"{params.get('events')} tips per run (each evaluates every rule).\n\n"
        + table
        + f"\n\n{_num(rules.get('matched_runs'))} of {_num(rules.get('run_rows'))} evaluations matched "
        f"({rules.get('steps_per_event', '–')} steps run per event); "
        f"{_num(rules.get('run_rows'))} run rows for {_num(rules.get('expected_run_rows'))} evaluations, "
        f"redelivery added {'none' if integrity.get('redelivery_added_no_runs') else 'some'}; score job for "
        f"{_num(rules.get('fans_scored'))} fans: {rules.get('score_job_s')} s.\n\n"
        + _table(
            [
                "broadcast to",
                "approve → audience frozen",
                "send every delivery (sandbox)",
                "deliveries/s",
                "baseline: one transaction",
                "sent exactly once",
            ],
            [
                [
                    _num(b.get("recipients")),
                    f"{b.get('approve_to_frozen_s')} s",
                    f"{b.get('send_all_s')} s",
                    _num(b.get("deliveries_per_s")),
                    f"{b.get('baseline_one_transaction_s')} s",
                    f"{_num(b.get('fans_sent_exactly_once'))}/{_num(b.get('recipients'))}",
                ]
            ],
        )
    )


def _generic(doc: dict[str, Any]) -> str:
    rows: list[list[str]] = []
    for key, value in doc.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            rows.append([key, _num(value, 3)])
        elif isinstance(value, dict) and key not in ("machine", "parameters"):
            for sub, inner in value.items():
                if isinstance(inner, int | float) and not isinstance(inner, bool):
                    rows.append([f"{key}.{sub}", _num(inner, 3)])
    if not rows:
        return "_no numeric fields_"
    return _table(["metric", "value"], rows)


def _memory(document: dict[str, Any]) -> str:
    from bench import memory

    if not isinstance(document.get("runs"), list):
        return _generic(document)
    note = (
        "Baseline: LangGraph `AsyncPostgresStore.asearch` on the same database, same vectors "
        "(synthetic clustered 384-d)."
    )
    return note + "\n\n" + memory.markdown(document)


def _locomo(document: dict[str, Any]) -> str:
    """Evidence recall on LoCoMo: the product's recall vs. the two baselines, per category."""
    methods = document.get("methods")
    if not isinstance(methods, dict) or not methods:
        return _generic(document)
    first = next(iter(methods.values()))
    categories = ["overall", *first["by_category"].keys()]
    rows = []
    for category in categories:
        for name, scores in methods.items():
            s = scores["overall"] if category == "overall" else scores["by_category"].get(category, {})
            rows.append(
                [
                    category,
                    str(s.get("questions", "")),
                    f"**{name}**" if name == "product" else name,
                    f"{s.get('recall@5', 0):.3f}",
                    f"{s.get('recall@10', 0):.3f}",
                    f"{s.get('mrr@10', 0):.3f}",
                ]
            )
    head = (
        f"{document.get('conversations')} conversations, {document.get('questions')} non-adversarial "
        f"questions, {document.get('turns')} turns (`fanpilot eval locomo --data ../shared/data/locomo10`)."
    )
    return head + "\n\n" + _table(["category", "n", "method", "R@5", "R@10", "MRR@10"], rows)


def _performance(doc: dict[str, Any]) -> str:
    rows = []
    for size, data in doc.get("sizes", {}).items():
        counts = data.get("rows", {})
        label = f"{size} ({_num(counts.get('fan_messages'))} msgs, {_num(counts.get('fan_transactions'))} tx)"
        for report, figures in data.get("reports", {}).items():
            product, baseline = figures.get("product", {}), figures.get("baseline", {})
            rows.append(
                [
                    label,
                    report,
                    _num(baseline.get("p95_ms"), 1),
                    _num(product.get("p50_ms"), 1),
                    _num(product.get("p95_ms"), 1),
                    f"{figures.get('p95_ratio')}×",
                ]
            )
    header = ["size", "report", "GROUP BY p95 ms", "Fanpilot p50 ms", "Fanpilot p95 ms", "p95 ratio"]
    return _table(header, rows)


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "performance": _performance,
    "memory": _memory,
    "memory-1m": _memory,
    "locomo": _locomo,
    "webhooks": _webhooks,
    "agent": _agent,
    "approvals": _approvals,
    "automation": _automation,
}


def _ordered(paths: list[Path]) -> list[Path]:
    def key(path: Path) -> tuple[int, str]:
        stem = path.stem
        return (KNOWN_ORDER.index(stem) if stem in KNOWN_ORDER else len(KNOWN_ORDER), stem)

    return sorted(paths, key=key)


def render(results_dir: Path | None = None) -> str:
    """One markdown section with a table per suite, from every results file present."""
    folder = results_dir or RESULTS_DIR
    parts = [
        "## Benchmarks",
        "",
        "Each suite runs against a named baseline in the same run (`fanpilot bench <suite>`); "
        "figures from `bench/results/*.json`, regenerated with `python -m bench.readme_table`.",
    ]
    for path in _ordered(list(folder.glob("*.json"))):
        try:
            document = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            parts += ["", f"### {path.stem}", "", f"_unreadable: {exc}_"]
            continue
        if not isinstance(document, dict):
            parts += ["", f"### {path.stem}", "", "_not a JSON object_"]
            continue
        renderer = RENDERERS.get(path.stem, _generic)
        baseline = document.get("baseline_name") or document.get("baseline")
        title = f"### {path.stem}"
        if isinstance(baseline, str):
            title += f" — vs. {baseline}"
        parts += ["", title, ""]
        machine = _machine_line(document)
        if machine:
            parts += [machine, ""]
        parts.append(renderer(document))
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render(), end="")
