"use strict";

// The automation rules page: every rule in the order it runs, an on/off switch per rule (for those who
// may change rules; the API enforces it), and for the selected rule what it does, its last runs with
// their outcomes and steps, what it has scheduled, and a dry run. Wide screens show list and rule side
// by side; a narrow screen one pane at a time. Shared helpers come from ui.js.
(function () {
  const { el, time, toast, announce, api } = window.ui;
  const $ = (id) => document.getElementById(id);
  const WRITERS = ["owner", "admin", "manager"];
  const state = { rules: [], selectedId: null, writer: false, pushedHistory: false };

  const OUTCOME = {
    matched: ["Matched", "ok"],
    conditions_not_met: ["Not matched", "muted"],
    cooldown: ["Cooldown", "warn"],
    no_keyword: ["No keyword", "muted"],
    below_min_amount: ["Below minimum", "muted"],
    duplicate: ["Already evaluated", "muted"],
  };
  const STEP_STATUS = {
    queued: "waiting for a decision in the inbox",
    auto_approved: "auto-approved",
    done: "done",
    waiting: "waiting",
    stopped: "stopped the chain",
    skipped: "skipped",
    executed: "sent",
    failed: "failed",
    stale: "not sent (stale)",
  };
  const TIMER_KIND = { delay: "Delayed start", no_reply: "No-reply follow-up", wait: "Next step", draft: "Agent draft" };

  function ago(iso) {
    if (!iso) return "";
    const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (seconds < 60) return "just now";
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
    return time(iso);
  }

  function outcomeBadge(outcome) {
    const [label, level] = OUTCOME[outcome] || [outcome.replaceAll("_", " "), "muted"];
    return el("span", { class: `outcome outcome-${level}` }, label);
  }

  function conditionsText(c) {
    if (!c) return "every fan";
    if (c.field) {
      const value = Array.isArray(c.value) ? c.value.join(" – ") : c.value;
      const op = { eq: "is", ne: "is not", gt: "over", gte: "at least", lt: "under", lte: "at most", in: "is one of", not_in: "is none of", between: "between", has: "has", has_not: "has not" }[c.op] || c.op;
      const field = c.field.replace("score:", "score ").replaceAll("_", " ");
      const shown = c.field === "lifetime_spend" ? window.ui.money(value) : value;
      return c.field === "tag" ? `${op} tag #${value}` : `${field} ${op} ${shown}`;
    }
    if (c.all) return c.all.map(conditionsText).join(" and ");
    if (c.any) return c.any.map(conditionsText).join(" or ");
    if (c.not_ || c.not) return `not (${conditionsText(c.not_ || c.not)})`;
    return "every fan";
  }

  function approvalText(rule) {
    const entries = Object.entries(rule.auto_approve || {});
    if (!entries.length) return "Every message waits for a person in the inbox.";
    return entries
      .map(([type, limit]) => {
        const what = type === "send_ppv" ? "PPV offers" : "Messages";
        const price = limit.max_price != null ? ` up to ${window.ui.money(limit.max_price)}` : "";
        return `${what}${price} are approved automatically, at most ${limit.per_fan_per_day} per fan a day; flagged ones wait.`;
      })
      .join(" ");
  }

  // ------------------------------------------------------------------ the list

  function switchButton(rule, where) {
    const label = `${rule.name}: ${rule.enabled ? "on" : "paused"}`;
    return el(
      "button",
      {
        type: "button",
        class: `switch${rule.enabled ? " on" : ""}`,
        role: "switch",
        "aria-checked": rule.enabled ? "true" : "false",
        "aria-label": where === "list" ? rule.name : "Rule is on",
        title: state.writer ? (rule.enabled ? "Pause this rule" : "Turn this rule on") : "Only an owner, admin or manager can change rules",
        disabled: !state.writer,
        "data-rule": rule.id,
        onclick: (event) => {
          event.stopPropagation();
          toggle(rule.id, "list");
        },
      },
      el("span", { class: "switch-track", "aria-hidden": "true" }, el("span", { class: "switch-thumb" })),
      el("span", { class: "switch-text", "aria-hidden": "true" }, rule.enabled ? "On" : "Paused"),
      el("span", { class: "sr-only" }, where === "list" ? "" : label),
    );
  }

  function renderList() {
    const list = $("rule-list");
    list.replaceChildren();
    list.hidden = state.rules.length === 0;
    $("rules-empty").hidden = state.rules.length > 0;
    $("rules-count").replaceChildren(`${state.rules.length}`, el("span", { class: "count-word" }, `\u00a0rule${state.rules.length === 1 ? "" : "s"}`));
    const grouped = new Set(state.rules.map((r) => r.creator_id)).size > 1;
    let creator = null;
    for (const rule of state.rules) {
      if (grouped && rule.creator_id !== creator) {
        creator = rule.creator_id;
        list.append(el("li", { class: "rule-group" }, el("h3", {}, rule.creator_name)));
      }
      const selected = rule.id === state.selectedId;
      const last = rule.last_run;
      list.append(
        el(
          "li",
          { class: `rule-card${rule.enabled ? "" : " paused"}${selected ? " selected" : ""}`, id: `rule-${rule.id}`, "data-id": rule.id },
          el(
            "button",
            { type: "button", class: "rule-open", "aria-current": selected ? "true" : null, onclick: () => open(rule.id) },
            el("span", { class: "rule-name" }, rule.name),
            el("span", { class: "rule-when" }, rule.trigger_text),
            el("span", { class: "rule-steps-line" }, rule.steps_text.join(" → ")),
            el(
              "span",
              { class: "rule-meta" },
              `${grouped ? "" : `${rule.creator_name} · `}priority ${rule.priority} · ${rule.stats.matches_7d} of ${rule.stats.evaluations_7d} matched in 7 days`,
            ),
            last
              ? el("span", { class: "rule-last" }, "Last: ", outcomeBadge(last.outcome), ` ${last.fan_name || "a fan"} · ${ago(last.created_at)}`)
              : el("span", { class: "rule-last muted" }, "Not run yet"),
          ),
          switchButton(rule, "list"),
        ),
      );
    }
  }

  async function loadRules() {
    const creator = $("f-creator").value;
    const rules = await api(`/api/rules${creator ? `?creator_id=${creator}` : ""}`);
    state.rules = rules;
    if (!rules.some((r) => r.id === state.selectedId)) state.selectedId = window.ui.isNarrow() ? null : rules.length ? rules[0].id : null;
    renderList();
    if (state.selectedId) await loadDetail();
    else renderDetail(null);
  }

  // ------------------------------------------------------------------ the selected rule

  function stepLine(step, i) {
    return el("li", {}, el("span", { class: "step-index", "aria-hidden": "true" }, String(i + 1)), step);
  }

  function renderDetail(rule, runs = [], timers = []) {
    $("placeholder").hidden = !!rule;
    $("detail").hidden = !rule;
    if (!rule) return;
    $("d-name").textContent = rule.name;
    $("d-sub").textContent = `${rule.creator_name} · priority ${rule.priority}${rule.cooldown_text ? ` · once per fan per ${rule.cooldown_text}` : ""}`;
    $("d-state").replaceChildren(el("span", { class: `state-chip ${rule.enabled ? "on" : "paused"}` }, rule.enabled ? "On" : "Paused"));
    $("d-description").hidden = !rule.description;
    $("d-description").textContent = rule.description || "";
    $("d-when").textContent = rule.trigger_text;
    $("d-conditions").textContent = conditionsText(rule.conditions);
    $("d-steps").replaceChildren(...rule.steps_text.map(stepLine));
    $("d-approval").textContent = approvalText(rule);
    const button = $("btn-toggle");
    button.textContent = rule.enabled ? "Pause rule" : "Turn rule on";
    button.disabled = !state.writer;
    button.title = state.writer ? "" : "Only an owner, admin or manager can change rules";
    $("d-dry-run").hidden = true;

    const list = $("d-runs");
    list.replaceChildren();
    $("runs-empty").hidden = runs.length > 0;
    for (const run of runs) {
      list.append(
        el(
          "li",
          { class: `run${run.matched ? " matched" : ""}` },
          el(
            "div",
            { class: "run-head" },
            outcomeBadge(run.outcome),
            el("strong", { class: "run-fan" }, run.fan_name || "a fan"),
            el("time", { datetime: run.created_at, class: "run-time" }, time(run.created_at)),
          ),
          run.matched ? null : el("div", { class: "run-why" }, run.details.why || ""),
          run.steps.length
            ? el(
                "ul",
                { class: "run-steps" },
                run.steps.map((s) =>
                  el(
                    "li",
                    { class: `step-${s.status}` },
                    el(
                      "span",
                      { class: "step-text" },
                      `${rule.steps_text[s.step] || s.type}: `,
                      el("span", { class: "step-status" }, STEP_STATUS[s.status] || s.status),
                      s.error ? ` — ${s.error}` : "",
                      s.result && s.result.why ? ` — ${s.result.why}` : "",
                    ),
                    s.item_id && s.status === "queued" ? el("a", { class: "step-link", href: "/inbox" }, "Open the inbox") : null,
                  ),
                ),
              )
            : null,
        ),
      );
    }
    const timerList = $("d-timers");
    timerList.replaceChildren();
    $("timers-empty").hidden = timers.length > 0;
    for (const t of timers.slice(0, 10)) {
      timerList.append(
        el(
          "li",
          { class: `timer timer-${t.status}` },
          el("strong", {}, TIMER_KIND[t.kind] || t.kind),
          ` · ${t.status === "pending" ? "due" : t.status} ${time(t.status === "fired" ? t.fired_at : t.due_at)}`,
          t.reason ? el("span", { class: "muted" }, ` — ${t.reason}`) : null,
        ),
      );
    }
  }

  async function loadDetail() {
    const id = state.selectedId;
    if (!id) return renderDetail(null);
    const [rule, runs, timers] = await Promise.all([
      api(`/api/rules/${id}`),
      api(`/api/rules/${id}/runs?limit=20`),
      api(`/api/rules/${id}/timers?limit=20`),
    ]);
    if (state.selectedId !== id) return;
    renderDetail(rule, runs, timers);
    document.body.dataset.rule = id;
  }

  async function open(id) {
    state.selectedId = id;
    renderList();
    await loadDetail();
    if (window.ui.isNarrow()) {
      $("split").dataset.pane = "detail";
      if (!state.pushedHistory) {
        history.pushState({ rule: id }, "");
        state.pushedHistory = true;
      }
      window.scrollTo(0, 0);
      $("d-name").focus({ preventScroll: true });
    } else {
      $("d-name").focus();
    }
  }

  function showList({ fromHistory = false } = {}) {
    $("split").dataset.pane = "list";
    if (!fromHistory && state.pushedHistory) history.back();
    state.pushedHistory = false;
    const card = state.selectedId && document.querySelector(`#rule-${state.selectedId} .rule-open`);
    if (card) card.focus();
  }

  // ------------------------------------------------------------------ changes

  async function toggle(id, from) {
    const rule = state.rules.find((r) => r.id === id);
    if (!rule || !state.writer) return;
    let updated;
    try {
      updated = await api(`/api/rules/${id}/${rule.enabled ? "pause" : "resume"}`, { method: "POST" });
    } catch (_) {
      return;
    }
    state.rules = state.rules.map((r) => (r.id === id ? updated : r));
    renderList();
    // The list re-renders: keep the keyboard on the switch that was pressed.
    if (from === "list") document.querySelector(`#rule-${id} .switch`).focus();
    toast(updated.enabled ? `“${updated.name}” is on` : `“${updated.name}” is paused: it no longer runs`);
    if (state.selectedId === id) await loadDetail();
  }

  async function dryRun() {
    const id = state.selectedId;
    if (!id) return;
    const box = $("d-dry-run");
    let result;
    try {
      result = await api(`/api/rules/${id}/dry-run`, { method: "POST" });
    } catch (_) {
      return;
    }
    const headline =
      `${result.matching} fan${result.matching === 1 ? "" : "s"} match the conditions now` +
      (result.in_cooldown ? `, ${result.in_cooldown} held back by the cooldown` : "");
    box.replaceChildren(
      el("p", { class: "dry-headline" }, el("strong", {}, headline)),
      el("p", {}, result.note),
      result.sample.length
        ? el(
            "ul",
            { class: "dry-sample" },
            result.sample.slice(0, 8).map((f) => el("li", {}, `${f.name} · ${f.spend_tier} · ${window.ui.money(f.lifetime_spend)}${f.in_cooldown ? " · cooldown" : ""}`)),
          )
        : null,
      el("p", { class: "muted" }, "Nothing was stored or sent."),
    );
    box.hidden = false;
    announce(headline);
  }

  // ------------------------------------------------------------------ start

  async function start() {
    let me;
    try {
      me = await window.ui.startPage();
    } catch (_) {
      return;
    }
    state.writer = WRITERS.includes(me.role);
    $("rules-readonly").hidden = state.writer;
    for (const c of me.creators) $("f-creator").append(el("option", { value: c.id }, c.display_name));
    $("f-creator").addEventListener("change", () => {
      state.selectedId = null;
      loadRules();
    });
    $("btn-toggle").addEventListener("click", () => state.selectedId && toggle(state.selectedId, "detail"));
    $("btn-dry-run").addEventListener("click", dryRun);
    $("back-btn").addEventListener("click", () => showList());
    window.addEventListener("popstate", () => {
      if ($("split").dataset.pane === "detail") showList({ fromHistory: true });
    });
    window.ui.onNarrowChange((narrow) => {
      if (!narrow) $("split").dataset.pane = "list";
    });
    await loadRules();
    document.body.dataset.ready = "true";
  }

  start();
})();
