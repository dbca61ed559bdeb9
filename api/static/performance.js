"use strict";

// The owner's performance page (docs/performance.md): filters → /api/performance/* → headline
// figures, the team-and-AI table, three charts (Chart.js, vendored) and the per-creator table. The
// filters live in the URL query so a view can be bookmarked or shared; the CSV link follows them.
(function () {
  const { el, api, money } = window.ui;
  const $ = (id) => document.getElementById(id);
  const PERIOD_LABELS = {
    today: "Today", yesterday: "Yesterday", this_week: "This week", last_week: "Last week",
    last_7_days: "Last 7 days", this_month: "This month", last_month: "Last month",
    last_30_days: "Last 30 days", last_90_days: "Last 90 days", this_year: "This year",
    all_time: "All time", custom: "Custom dates…",
  };
  const REVENUE_SERIES = [
    ["subscription", "Subscriptions"], ["tip", "Tips"], ["ppv", "PPV"], ["custom", "Customs"],
    ["message", "Paid messages"], ["other", "Other"],
  ];
  const charts = {};
  let scope = null;
  let loadSeq = 0;

  function token(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function minutes(value) {
    if (value === null || value === undefined) return "—";
    if (value < 1) return "< 1 min";
    if (value < 60) return `${Math.round(value)} min`;
    const h = Math.floor(value / 60);
    const m = Math.round(value % 60);
    return h < 24 ? `${h} h ${m} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
  }

  function pct(value) {
    return value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`;
  }

  function chars(value) {
    return value === null || value === undefined ? "—" : `${Math.round(value)}`;
  }

  // ------------------------------------------------------------------ filters <-> URL

  function readFilters() {
    const params = new URLSearchParams();
    const creator = $("f-creator").value;
    const period = $("f-period").value;
    if (creator) params.set("creator_id", creator);
    params.set("period", period);
    if (period === "custom") {
      if ($("f-start").value) params.set("start", $("f-start").value);
      if ($("f-end").value) params.set("end", $("f-end").value);
    }
    return params;
  }

  function applyUrl() {
    const q = new URLSearchParams(window.location.search);
    const set = (id, value) => {
      const node = $(id);
      if (value && [...node.options].some((o) => o.value === value)) node.value = value;
    };
    set("f-creator", q.get("creator_id"));
    set("f-staff", q.get("staff_id"));
    set("f-period", q.get("period") || scope.default_period);
    set("f-csv", q.get("report"));
    if (q.get("start")) $("f-start").value = q.get("start");
    if (q.get("end")) $("f-end").value = q.get("end");
    $("custom-fields").hidden = $("f-period").value !== "custom";
  }

  function csvHref(params) {
    const q = new URLSearchParams(params);
    q.set("report", $("f-csv").value);
    if ($("f-staff").value && $("f-csv").value === "team") q.set("staff_id", $("f-staff").value);
    return `/api/performance/export.csv?${q}`;
  }

  // ------------------------------------------------------------------ rendering

  function kpi(label, value, sub) {
    return el("div", { class: "kpi" }, el("div", { class: "kpi-label" }, label), el("div", { class: "kpi-value" }, value),
      sub ? el("div", { class: "kpi-sub" }, sub) : null);
  }

  function renderKpis(revenue, subs, team, replies) {
    const ai = team.total;
    $("kpis").replaceChildren(
      kpi("Net revenue", money(revenue.net), `${revenue.paying_fans} paying fans`),
      kpi("New subscribers", String(subs.new), `${subs.renewed} renewed · ${subs.expired} expired`),
      kpi("AI drafts approved without edit", pct(ai.approval_rate_without_edit), `${ai.decided} decided`),
      kpi("Median reply time", minutes(replies.median_reply_minutes), `${replies.replied} of ${replies.fan_turns} fan turns answered`),
      kpi("SLA breaches", String(replies.breaches), `over ${replies.sla_minutes} min · ${replies.unanswered_now} fans waiting now`),
      kpi("Money after AI replies", money(ai.attributed_revenue), `${ai.ppv_sales} PPV sold · ${ai.tips_after} tips`),
    );
  }

  function teamRow(row, kind) {
    const who = el("th", { scope: "row" }, el("span", { class: "who-name" }, row.name),
      row.role ? el("span", { class: "role-chip" }, row.role) : null,
      kind === "all" ? el("span", { class: "ai-chip" }, "AI") : null);
    const cells = [
      String(row.decided),
      pct(row.approval_rate_without_edit),
      row.edited ? `${chars(row.avg_chars_changed)} / ${chars(row.median_chars_changed)} chars` : "—",
      minutes(row.median_reply_minutes),
      String(row.sla_breaches),
      row.ppv_sales ? `${money(row.ppv_revenue)} (${row.ppv_sales})` : money(row.ppv_revenue),
      row.tips_after ? `${money(row.tip_revenue)} (${row.tips_after})` : money(row.tip_revenue),
    ];
    return el("tr", { class: kind === "all" ? "total-row" : null, "data-key": row.key }, who,
      cells.map((c) => el("td", { class: "num" }, c)));
  }

  function renderTeam(team) {
    const rows = [teamRow(team.total, "all"), ...team.people.map((p) => teamRow(p, p.kind))];
    if (!team.people.length) {
      rows.push(el("tr", {}, el("td", { colspan: "8", class: "empty" }, "Nobody decided a draft or replied in this period.")));
    }
    $("team-table").tBodies[0].replaceChildren(...rows);
    const a = team.attribution;
    $("team-note").textContent = `PPV bought within ${a.ppv_hours} h of an offer and tips within ${a.tip_hours} h of a reply are credited to it. ` +
      (team.expired_undecided ? `${team.expired_undecided} drafts expired undecided.` : "");
  }

  function renderCreators(summary) {
    const rows = summary.creators.map((c) => el("tr", { "data-creator": c.creator_id },
      el("th", { scope: "row" }, c.name),
      [money(c.net), money(c.revenue_by_type.subscription), money(c.revenue_by_type.tip), money(c.revenue_by_type.ppv),
        `${c.new} / ${c.renewed} / ${c.expired}`, String(c.active_now), minutes(c.median_reply_minutes), String(c.flagged_items)]
        .map((v) => el("td", { class: "num" }, v))));
    $("creators-table").tBodies[0].replaceChildren(...rows);
  }

  function bucketLabel(iso, unit) {
    const d = new Date(`${iso}T00:00:00`);
    if (unit === "month") return d.toLocaleDateString(undefined, { month: "short", year: "2-digit" });
    return d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }

  function legend(id, items) {
    $(id).replaceChildren(...items.map(([label, value, color]) =>
      el("li", {}, el("span", { class: "swatch", "data-color": color }), `${label}: `, el("strong", {}, value))));
    for (const sw of $(id).querySelectorAll(".swatch")) sw.style.background = sw.dataset.color;
  }

  function barChart(id, labels, series, { money: isMoney = false, stacked = true } = {}) {
    const canvas = $(id);
    const data = { labels, datasets: series.map(([label, values, color]) => ({ label, data: values, backgroundColor: color, borderRadius: 3, maxBarThickness: 28 })) };
    const grid = token("--line");
    const ink = token("--text-3");
    const fmt = (v) => (isMoney ? money(v).replace(/\.00$/, "") : String(v));
    if (charts[id]) {
      charts[id].data = data;
      charts[id].update();
      return;
    }
    charts[id] = new window.Chart(canvas, {
      type: "bar",
      data,
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${isMoney ? money(c.parsed.y) : c.parsed.y}` } },
        },
        scales: {
          x: { stacked, grid: { display: false }, ticks: { color: ink, maxRotation: 0, autoSkipPadding: 12 } },
          y: { stacked, beginAtZero: true, grid: { color: grid }, ticks: { color: ink, precision: 0, callback: fmt } },
        },
      },
    });
  }

  function describeChart(id, text) {
    $(id).setAttribute("aria-label", text);
  }

  function renderRevenue(revenue) {
    const colors = ["--chart-1", "--chart-2", "--chart-3", "--chart-4", "--chart-5", "--chart-6"].map(token);
    const labels = revenue.buckets.map((b) => bucketLabel(b.start, revenue.bucket_unit));
    const others = ["other", "post", "stream"];
    const value = (byType, key) => (key === "other" ? others.reduce((s, k) => s + Number(byType[k] || 0), 0) : Number(byType[key] || 0));
    const series = REVENUE_SERIES.map(([key, label], i) => [label, revenue.buckets.map((b) => value(b.by_type, key)), colors[i]]);
    barChart("revenue-chart", labels, series, { money: true });
    const totals = REVENUE_SERIES.map(([key, label], i) => [label, money(value(revenue.by_type, key)), colors[i]]);
    legend("revenue-legend", totals);
    $("revenue-total").textContent = `${money(revenue.net)} net, ${money(revenue.refunds)} refunded`;
    describeChart("revenue-chart", `Revenue by type per ${revenue.bucket_unit || "period"}: ` + totals.map(([l, v]) => `${l} ${v}`).join(", "));
  }

  function renderSubs(flow) {
    const colors = ["--chart-ok", "--chart-1", "--chart-bad"].map(token);
    const kinds = [["new", "New"], ["renewed", "Renewed"], ["expired", "Expired"]];
    const labels = flow.buckets.map((b) => bucketLabel(b.start, flow.bucket_unit));
    barChart("subs-chart", labels, kinds.map(([k, l], i) => [l, flow.buckets.map((b) => b[k]), colors[i]]), { stacked: false });
    const totals = kinds.map(([k, l], i) => [l, String(flow[k]), colors[i]]);
    legend("subs-legend", totals);
    $("subs-total").textContent = `${flow.net_change >= 0 ? "+" : ""}${flow.net_change} net · ${flow.active_now} active now`;
    describeChart("subs-chart", "Subscriber flow: " + totals.map(([l, v]) => `${l} ${v}`).join(", "));
  }

  function renderDecisions(team) {
    const colors = ["--chart-ok", "--chart-4", "--chart-bad"].map(token);
    const kinds = [["approved_as_drafted", "Approved as drafted"], ["edited", "Edited"], ["rejected", "Rejected"]];
    const labels = team.buckets.map((b) => bucketLabel(b.start, team.bucket_unit));
    barChart("decisions-chart", labels, kinds.map(([k, l], i) => [l, team.buckets.map((b) => b[k]), colors[i]]));
    const sum = (k) => team.buckets.reduce((s, b) => s + b[k], 0);
    const totals = kinds.map(([k, l], i) => [l, String(sum(k)), colors[i]]);
    legend("decisions-legend", totals);
    const who = $("f-staff").value ? $("f-staff").selectedOptions[0].textContent : "everyone";
    $("decisions-total").textContent = `by ${who}`;
    describeChart("decisions-chart", `Decisions by ${who}: ` + totals.map(([l, v]) => `${l} ${v}`).join(", "));
  }

  // ------------------------------------------------------------------ loading

  async function load({ push = false } = {}) {
    const seq = ++loadSeq;
    const params = readFilters();
    $("custom-fields").hidden = $("f-period").value !== "custom";
    if ($("f-period").value === "custom" && (!$("f-start").value || !$("f-end").value)) {
      $("window-label").textContent = "Choose a first and a last day.";
      return;
    }
    const teamParams = new URLSearchParams(params);
    if ($("f-staff").value) teamParams.set("staff_id", $("f-staff").value);
    const shown = new URLSearchParams(teamParams);
    if ($("f-csv").value !== "team") shown.set("report", $("f-csv").value);
    if (push) window.history.replaceState(null, "", `${window.location.pathname}?${shown}`);
    $("csv-link").href = csvHref(params);
    document.body.dataset.loading = "true";
    try {
      const [team, revenue, subs, creators, replies] = await Promise.all([
        api(`/api/performance/team?${teamParams}`),
        api(`/api/performance/revenue?${params}`),
        api(`/api/performance/subscribers?${params}`),
        api(`/api/performance/creators?${params}`),
        api(`/api/performance/responses?${params}`),
      ]);
      if (seq !== loadSeq) return; // a newer filter change is on its way
      $("window-label").textContent = revenue.window.label;
      renderKpis(revenue, subs, team, replies);
      renderTeam(team);
      renderRevenue(revenue);
      renderSubs(subs);
      renderDecisions(team);
      renderCreators(creators);
      document.body.dataset.ready = "true";
      if (push) window.ui.announce(`Showing ${revenue.window.label}: ${money(revenue.net)} net revenue.`);
    } catch (error) {
      if (!(error instanceof window.ui.ApiError)) throw error;
      $("window-label").textContent = error.message;
    } finally {
      if (seq === loadSeq) delete document.body.dataset.loading;
    }
  }

  async function start() {
    const me = await window.ui.startPage();
    try {
      scope = await api("/api/performance/scope", { quiet: true });
    } catch (error) {
      if (!(error instanceof window.ui.ApiError)) throw error;
      $("window-label").textContent = error.status === 403
        ? "Your login has no access to the numbers. Ask the agency owner if you need them."
        : error.message;
      $("filters").hidden = true;
      $("csv-link").hidden = true;
      document.body.dataset.ready = "refused";
      return;
    }
    const creator = $("f-creator");
    for (const c of scope.creators) creator.append(el("option", { value: c.id }, c.name));
    $("creator-field").hidden = scope.creators.length < 2;
    for (const s of scope.staff) $("f-staff").append(el("option", { value: s.id }, `${s.name} (${s.role})`));
    for (const p of scope.periods) $("f-period").append(el("option", { value: p }, PERIOD_LABELS[p] || p));
    applyUrl();
    const a = scope.attribution;
    $("definitions").textContent =
      `Signed in as ${me.display_name}. Reply time: a fan's first unanswered message → the reply sent; ` +
      `SLA ${scope.sla_minutes} min. Edit distance: characters changed between the draft and what was sent. ` +
      `Money after replies: PPV bought within ${a.ppv_hours} h of the offer, tips within ${a.tip_hours} h of a reply (last touch, counted once).`;
    $("filters").addEventListener("change", () => load({ push: true }));
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      load({ push: true });
    });
    await load();
  }

  start();
})();
