"use strict";

// The approval inbox: the queue, the selected draft with its conversation and composer, the fan.
// Wide screens show them side by side and are keyboard-first (j/k/a/e/r/x); a narrow screen shows
// one pane at a time (queue → draft → back). Live updates arrive over server-sent events; every
// change goes through the API. Shared helpers (formatting, announce, api) come from ui.js.
(function () {
  const { el, money, moneyIn, time, waited, waitedInWords, initials, announce, toast, api } = window.ui;
  const $ = (id) => document.getElementById(id);
  const state = {
    items: [],
    selectedId: null,
    detail: null,
    checked: new Set(),
    editing: false,
    fetchedAt: Date.now(),
    known: new Set(),
    loadSeq: 0,
    fanOpen: false,
    listScroll: 0,
    pushedHistory: false,
    view: "pending",
  };
  // The three views of the queue: what waits for a decision, what is on its way, what ended unsent.
  const VIEWS = {
    pending: { tab: "To review", empty: ["All caught up", "Drafts show up here as fans write in."], label: "Drafts waiting for a decision", noun: "waiting" },
    sending: { tab: "Sending", empty: ["Nothing on its way", "Approved items show here until the platform accepts them."], label: "Approved items being sent", noun: "sending" },
    failed: { tab: "Failed", empty: ["Nothing failed", "An item the platform refused, or that no longer held when it was sent, shows here with the reason."], label: "Items that ended unsent", noun: "failed" },
  };
  const TYPE_LABEL = {
    send_message: "Reply",
    send_ppv: "PPV offer",
    create_broadcast: "Broadcast",
    schedule_post: "Post",
    update_custom_request_price: "Custom quote",
  };
  const PPV_PREVIEW = /^\[PPV \$([\d.,]+)\]\s*/;

  // ------------------------------------------------------------------ small views

  function waitingSeconds(item) {
    return item.waiting_seconds + Math.floor((Date.now() - state.fetchedAt) / 1000);
  }

  function slaBadge(item) {
    const seconds = waitingSeconds(item);
    const level = seconds < 15 * 60 ? "ok" : seconds < 60 * 60 ? "warn" : "bad";
    return el(
      "span",
      { class: `sla sla-${level}`, title: "Time the fan has been waiting", "data-sla": item.id },
      el("span", { class: "sr-only" }, `Waiting ${waitedInWords(seconds)}`),
      el("span", { "aria-hidden": "true" }, waited(seconds)),
    );
  }

  function tierChip(tier) {
    return el("span", { class: `tier tier-${tier}` }, el("span", { class: "sr-only" }, "spend tier "), tier);
  }

  function flagChip(flag) {
    const blocked = flag.severity === "block";
    return el(
      "span",
      { class: `flag flag-${flag.severity}`, title: moneyIn(flag.message) },
      el("span", { "aria-hidden": "true" }, blocked ? "⛔" : "⚠"),
      el("span", { class: "sr-only" }, blocked ? "Blocked: " : "Check: "),
      flag.code.replaceAll("_", " "),
    );
  }

  // Where an approved item stands: on its way (with its attempts), or ended unsent and why.
  function stateChip(item) {
    if (item.status === "approved") {
      const label = item.attempts ? `Retrying · attempt ${item.attempts + 1}` : "Sending";
      return el("span", { class: "state-chip state-sending", title: item.error || "" }, label);
    }
    if (item.status === "failed" || item.status === "stale") {
      return el("span", { class: `state-chip state-${item.status}`, title: item.error || "" }, item.status === "stale" ? "Stale" : "Failed");
    }
    return slaBadge(item);
  }

  // The list preview is server text; offers carry a raw amount ("[PPV $25.0] …") shown as currency.
  function previewOf(item) {
    if (item.action_type === "send_ppv") {
      const match = PPV_PREVIEW.exec(item.preview);
      if (match) {
        return [el("span", { class: "price-chip" }, `PPV ${money(match[1].replaceAll(",", ""))}`), " ", item.preview.slice(match[0].length)];
      }
    }
    return item.action_type === "send_message" ? item.preview : moneyIn(item.preview);
  }

  // ------------------------------------------------------------------ panes (narrow screens)

  function pane() {
    return $("split").dataset.pane;
  }

  function showDetailPane() {
    if (!window.ui.isNarrow() || pane() === "detail") return;
    state.listScroll = window.scrollY;
    $("split").dataset.pane = "detail";
    if (!history.state || !history.state.inboxItem) {
      history.pushState({ inboxItem: state.selectedId }, "");
      state.pushedHistory = true;
    }
    window.scrollTo(0, 0);
    revealComposer();
    $("d-fan").focus({ preventScroll: true });
  }

  function showListPane({ fromHistory = false } = {}) {
    if (pane() === "list") return;
    if (state.editing) cancelEdit({ focusList: false });
    $("split").dataset.pane = "list";
    if (!fromHistory && state.pushedHistory) {
      state.pushedHistory = false;
      history.back();
    }
    window.scrollTo(0, state.listScroll);
    focusQueue();
  }

  // On a phone the newest message and the draft matter: scroll them into view above the action bar.
  function revealComposer() {
    if (!window.ui.isNarrow() || pane() !== "detail" || !state.detail) return;
    const actions = document.querySelector(".actions");
    const composer = document.querySelector(".composer");
    const bottom = composer.getBoundingClientRect().bottom + window.scrollY + actions.offsetHeight;
    window.scrollTo(0, Math.max(0, bottom - window.innerHeight));
  }

  function focusQueue() {
    if (state.items.length) $("queue-list").focus({ preventScroll: window.ui.isNarrow() });
    else $("queue-empty").focus();
  }

  // ------------------------------------------------------------------ queue

  function filters() {
    const params = new URLSearchParams();
    const creator = $("f-creator").value;
    const type = $("f-type").value;
    params.set("view", state.view);
    if (creator) params.set("creator_id", creator);
    if (type) params.set("action_type", type);
    params.set("sort", $("f-sort").value);
    params.set("limit", "100");
    return params;
  }

  async function loadCounts() {
    const creator = $("f-creator").value;
    let counts;
    try {
      counts = await api(`/api/inbox/counts${creator ? `?creator_id=${creator}` : ""}`, { quiet: true });
    } catch (_) {
      return;
    }
    for (const view of Object.keys(VIEWS)) {
      const badge = $(`count-${view}`);
      badge.textContent = counts[view] ? String(counts[view]) : "";
      badge.classList.toggle("has", counts[view] > 0);
      const tab = $(`view-${view}`);
      tab.setAttribute("aria-label", `${VIEWS[view].tab}, ${counts[view]}`);
    }
    $("pending-count").replaceChildren(`${counts.pending}`, el("span", { class: "count-word" }, "\u00a0pending"));
  }

  async function switchView(view) {
    if (!VIEWS[view] || view === state.view) return;
    if (state.editing) cancelEdit({ focusList: false });
    state.view = view;
    for (const name of Object.keys(VIEWS)) {
      const tab = $(`view-${name}`);
      tab.setAttribute("aria-selected", name === view ? "true" : "false");
    }
    $("queue-list").setAttribute("aria-label", VIEWS[view].label);
    const [title, help] = VIEWS[view].empty;
    $("queue-empty").querySelector("h3").textContent = title;
    $("queue-empty").querySelector("p").textContent = help;
    state.selectedId = null;
    state.detail = null;
    state.checked.clear();
    showListPane();
    await loadQueue();
    announce(`${VIEWS[view].tab}: ${state.items.length} item${state.items.length === 1 ? "" : "s"}.`);
  }

  async function loadQueue({ announceNew } = {}) {
    const seq = ++state.loadSeq;
    const page = await api(`/api/inbox/items?${filters()}`);
    loadCounts();
    if (seq !== state.loadSeq) return;
    const previous = state.known;
    state.items = page.items;
    state.fetchedAt = Date.now();
    state.known = new Set(page.items.map((i) => i.id));
    for (const id of [...state.checked]) if (!state.known.has(id)) state.checked.delete(id);
    const fresh = announceNew && state.view === "pending" ? page.items.filter((i) => !previous.has(i.id)) : [];
    if (!state.items.some((i) => i.id === state.selectedId)) {
      state.selectedId = state.items.length ? state.items[0].id : null;
      state.detail = null;
      if (!state.selectedId) showListPane();
    }
    renderQueue(new Set(fresh.map((i) => i.id)));
    if (fresh.length) {
      const names = fresh.map((i) => (i.fan ? i.fan.display_name : "a fan")).join(", ");
      toast(`New draft${fresh.length > 1 ? "s" : ""} for ${names}`);
    }
    if (state.selectedId && (!state.detail || state.detail.id !== state.selectedId)) await loadDetail();
    if (!state.selectedId) renderDetail();
  }

  function renderQueue(fresh = new Set()) {
    const list = $("queue-list");
    const hadFocus = document.activeElement === list || document.activeElement === $("queue-empty");
    list.replaceChildren();
    list.hidden = state.items.length === 0;
    $("queue-empty").hidden = state.items.length > 0;
    for (const item of state.items) {
      const selected = item.id === state.selectedId;
      const checked = state.checked.has(item.id);
      const fan = item.fan;
      const row = el(
        "li",
        {
          id: `item-${item.id}`,
          class: `row${checked ? " checked" : ""}${fresh.has(item.id) ? " fresh" : ""}`,
          role: "option",
          "aria-selected": selected ? "true" : "false",
          "data-id": item.id,
          onclick: () => open(item.id),
        },
        state.view === "pending" ? el("span", { class: "check", "aria-hidden": "true" }, checked ? "✓" : "") : el("span"),
        el(
          "div",
          { class: "row-main" },
          el(
            "div",
            { class: "row-top" },
            el("span", { class: "fan-name" }, fan ? fan.display_name : "—"),
            fan ? tierChip(fan.spend_tier) : null,
            item.action_type !== "send_message" ? el("span", { class: "type-chip" }, TYPE_LABEL[item.action_type] || item.action_type) : null,
            checked ? el("span", { class: "sr-only" }, ", selected for bulk approval") : null,
          ),
          el("div", { class: "creator-name" }, `for ${item.creator_name}${fan ? " · " + money(fan.lifetime_spend) + " lifetime" : ""}`),
          el("div", { class: "preview" }, previewOf(item)),
        ),
        el("div", { class: "row-side" }, stateChip(item), el("div", { class: "row-flags" }, item.flags.map(flagChip))),
      );
      list.append(row);
    }
    if (state.selectedId) list.setAttribute("aria-activedescendant", `item-${state.selectedId}`);
    else list.removeAttribute("aria-activedescendant");
    const count = state.items.length;
    const noun = VIEWS[state.view].noun;
    $("queue-summary").textContent = count
      ? state.view === "pending"
        ? `${count} draft${count === 1 ? "" : "s"} waiting`
        : `${count} item${count === 1 ? "" : "s"} ${noun}`
      : `Nothing ${noun}`;
    $("bulk-bar").hidden = state.checked.size === 0;
    $("bulk-count").textContent = `${state.checked.size} selected`;
    if (hadFocus) focusQueue();
    const current = document.getElementById(`item-${state.selectedId}`);
    if (current && !window.ui.isNarrow()) current.scrollIntoView({ block: "nearest" });
  }

  async function select(id) {
    if (state.editing) cancelEdit({ focusList: false });
    state.selectedId = id;
    renderQueue();
    await loadDetail();
  }

  // A click, a tap or Enter: select the draft and, on a narrow screen, show it.
  async function open(id) {
    const different = id !== state.selectedId || !state.detail;
    if (different) await select(id);
    if (window.ui.isNarrow()) showDetailPane();
    else if (!different) $("d-fan").focus();
  }

  function move(step) {
    if (!state.items.length) return;
    const index = state.items.findIndex((i) => i.id === state.selectedId);
    const next = Math.min(state.items.length - 1, Math.max(0, index + step));
    select(state.items[next].id);
  }

  // ------------------------------------------------------------------ detail

  async function loadDetail() {
    const id = state.selectedId;
    if (!id) return renderDetail();
    try {
      const detail = await api(`/api/inbox/items/${id}`, { quiet: true });
      if (state.selectedId !== id) return;
      // A reviewer already typing in this draft keeps their text; only a different item re-renders.
      if (state.editing && state.detail && state.detail.id === id) return;
      state.detail = detail;
    } catch (error) {
      if (error.status === 404 || error.status === 409) {
        state.detail = null;
        return loadQueue();
      }
      toast(error.message, "error");
      return;
    }
    renderDetail();
  }

  function argsOf(d) {
    return d.final_args || d.proposed_args || {};
  }

  function hasText(d) {
    return typeof argsOf(d).text === "string";
  }

  function hasPrice(d) {
    return "price" in argsOf(d) || d.action_type === "send_ppv" || d.action_type === "update_custom_request_price";
  }

  function summaryOf(d) {
    const args = argsOf(d);
    if (d.action_type === "update_custom_request_price") {
      const request = d.dossier && d.dossier.open_custom_requests.find((r) => r.id === args.custom_request_id);
      return `Quote ${money(args.price)} for ${request ? `“${request.description}”` : "the custom request"}.`;
    }
    if (d.action_type === "schedule_post" && args.publish_at) return `Publishes ${time(args.publish_at)}.`;
    if (d.action_type === "create_broadcast") return "Goes to every fan in the segment.";
    return "";
  }

  function renderDetail() {
    const d = state.detail;
    $("placeholder").hidden = !!d;
    $("detail").hidden = !d;
    if (!d) {
      $("sidebar").replaceChildren(el("p", { class: "muted" }, "Select a draft to see the fan."));
      delete document.body.dataset.detail;
      return;
    }
    const fan = d.fan;
    const name = fan ? fan.display_name : "No fan";
    $("d-fan").textContent = name;
    $("d-sub").replaceChildren(`${d.creator_name} · expires ${time(d.expires_at)}`);
    $("d-type").textContent = TYPE_LABEL[d.action_type] || d.action_type;
    $("d-sla").replaceWith(Object.assign(slaBadge(d), { id: "d-sla" }));

    const conversation = $("d-conversation");
    conversation.setAttribute("aria-label", `Conversation with ${name}`);
    conversation.replaceChildren();
    if (!d.conversation.length) conversation.append(el("div", { class: "day-sep" }, "No messages yet"));
    for (const m of d.conversation) {
      const from = m.direction === "inbound" ? name : m.sender === "agent" ? "Sent (approved draft)" : "Creator";
      conversation.append(
        el(
          "div",
          { class: `bubble ${m.direction === "inbound" ? "in" : "out"}` },
          m.is_ppv && m.price ? el("strong", {}, `PPV ${money(m.price)} · `) : "",
          m.text,
          el("span", { class: "meta" }, `${from} · ${time(m.sent_at)}`),
        ),
      );
    }

    $("d-flags").replaceChildren(
      ...d.flags.map((f) =>
        el(
          "div",
          { class: `flag-line ${f.severity}` },
          el("strong", {}, f.severity === "block" ? "Blocked" : "Check"),
          el("span", {}, moneyIn(f.message || f.code)),
        ),
      ),
    );
    const args = argsOf(d);
    const draft = $("d-draft");
    draft.hidden = !hasText(d);
    draft.value = hasText(d) ? args.text : "";
    const summary = summaryOf(d);
    $("d-summary").hidden = !summary;
    $("d-summary").textContent = summary;
    $("d-price-field").hidden = !hasPrice(d);
    $("d-price").value = args.price == null ? "" : Number(args.price).toFixed(2);
    $("d-draft-label").textContent =
      d.action_type === "send_ppv" ? `AI draft · PPV offer at ${money(args.price)}` : hasText(d) ? "AI draft" : "Proposed action";
    $("d-draft-label").htmlFor = hasText(d) ? "d-draft" : "d-price";
    $("d-confidence").textContent = d.confidence == null ? "" : `confidence ${Math.round(d.confidence * 100)}%`;
    $("d-why").textContent = d.why ? `Why: ${d.why}` : "";
    // Made by an automation rule: say which (the Rules page has its runs).
    $("d-rule").hidden = !d.rule;
    $("d-rule").textContent = d.rule ? `Made by the rule “${d.rule.name}”${d.rule.trigger ? ` (${d.rule.trigger})` : ""}` : "";
    const diff = $("d-diff");
    diff.hidden = !d.diff;
    if (d.diff) {
      diff.replaceChildren(
        el("strong", {}, "Your edit: "),
        ...d.diff.map((part) => el(part.op === "insert" ? "ins" : part.op === "delete" ? "del" : "span", {}, part.text + " ")),
      );
    }
    const blocked = d.flags.some((f) => f.severity === "block");
    const approve = $("btn-approve");
    approve.disabled = blocked;
    approve.title = blocked ? "A guardrail blocks this draft: edit or reject it" : "";
    if (blocked) approve.setAttribute("aria-describedby", "d-flags");
    else approve.removeAttribute("aria-describedby");
    setEditing(false);
    renderDelivery(d);
    renderFan(d);
    document.body.dataset.detail = d.id;
    // Last, once the composer has its height: the newest message sits just above it.
    conversation.scrollTop = conversation.scrollHeight;
  }

  function attemptLine(a) {
    const outcome = { sent: "sent", retry: "failed, will retry", failed: "failed", stale: "not sent (stale)" }[a.outcome] || a.outcome;
    const code = a.http_status ? ` · HTTP ${a.http_status}` : "";
    const wait = a.retry_after_seconds ? ` · platform asked to wait ${Math.round(a.retry_after_seconds)} s` : "";
    return el("li", {}, el("strong", {}, `Attempt ${a.attempt}: ${outcome}`), `${code}${wait} · ${time(a.finished_at)}`, a.error ? el("div", { class: "muted" }, a.error) : null);
  }

  // Pending items get the decision buttons; decided ones say where their delivery stands.
  function renderDelivery(d) {
    const decided = d.status !== "pending";
    for (const id of ["btn-approve", "btn-edit", "btn-reject"]) $(id).hidden = decided;
    $("btn-retry").hidden = d.status !== "failed";
    const box = $("d-delivery");
    box.hidden = !decided;
    if (!decided) return;
    box.className = `delivery ${d.status === "approved" ? "sending" : d.status}`;
    let status;
    if (d.status === "approved") {
      status = d.next_attempt_at
        ? `Sending: attempt ${d.attempts} failed, the next one is due ${time(d.next_attempt_at)}.`
        : "Sending: approved, on its way to the platform.";
    } else if (d.status === "failed") {
      status = `Failed — nothing was sent: ${d.error || "the platform refused it"}. Retry once the cause is fixed.`;
    } else if (d.status === "stale") {
      status = `Not sent — it no longer held when it was due: ${d.error}.`;
    } else {
      status = `Ended: ${d.status}.`;
    }
    $("d-delivery-status").textContent = status;
    $("d-attempts").replaceChildren(...d.delivery_attempts.map(attemptLine));
    $("d-draft-label").textContent = d.status === "approved" ? "Being sent" : "Not sent";
  }

  async function retry() {
    const d = state.detail;
    if (!d || d.status !== "failed") return;
    const name = d.fan ? d.fan.display_name : "the fan";
    try {
      await api(`/api/inbox/items/${d.id}/retry`, { method: "POST" });
    } catch (error) {
      if (error.status === 409 || error.status === 404) loadQueue();
      return;
    }
    toast(`Retrying — sending to ${name} again`);
    removeDecided(d.id);
  }

  function setFanOpen(open) {
    state.fanOpen = open;
    $("fan-panel").classList.toggle("open", open);
    $("detail").classList.toggle("fan-open", open);
    $("fan-toggle").setAttribute("aria-expanded", open ? "true" : "false");
  }

  function renderFan(d) {
    const s = d.dossier;
    const side = $("sidebar");
    const toggle = $("fan-toggle");
    if (!s) {
      toggle.replaceChildren(el("span", { class: "toggle-text" }, el("span", { class: "toggle-name" }, "No fan on this action")));
      side.replaceChildren(el("p", { class: "muted" }, "No fan on this action."));
      return;
    }
    const sub = s.subscription;
    toggle.replaceChildren(
      el("span", { class: "avatar", "aria-hidden": "true" }, initials(s.display_name)),
      el(
        "span",
        { class: "toggle-text" },
        el("span", { class: "toggle-name" }, s.display_name, tierChip(s.spend_tier)),
        el("span", { class: "toggle-sub" }, `${money(s.lifetime_spend)} lifetime${sub ? ` · ${sub.status}` : ""} · ${d.memories_used.length} memories`),
      ),
      el("span", { class: "chevron" }, "Fan details"),
    );
    const byKind = Object.entries(s.spend_by_kind || {}).filter(([, v]) => Number(v) > 0);
    const blocks = [
      el(
        "div",
        { class: "fan-identity" },
        el("h3", {}, "Fan"),
        el(
          "div",
          { class: "fan-card" },
          el("span", { class: "avatar", "aria-hidden": "true" }, initials(s.display_name)),
          el("div", {}, el("div", { class: "name" }, s.display_name), tierChip(s.spend_tier)),
        ),
      ),
      el(
        "div",
        { class: "stats" },
        el("div", { class: "stat" }, el("div", { class: "label" }, "Lifetime spend"), el("div", { class: "value" }, money(s.lifetime_spend))),
        el(
          "div",
          { class: "stat" },
          el("div", { class: "label" }, "Subscription"),
          el("div", { class: `value sub-status sub-${sub ? sub.status : "none"}` }, sub ? sub.status : "—"),
        ),
      ),
      el("h3", {}, "Spend by type"),
      byKind.length
        ? el("dl", { class: "kv" }, byKind.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, money(v))]))
        : el("p", { class: "muted" }, "No purchases yet."),
      sub
        ? el(
            "dl",
            { class: "kv" },
            el("dt", {}, "Price"),
            el("dd", {}, money(sub.price)),
            sub.renews_at ? [el("dt", {}, "Renews"), el("dd", {}, time(sub.renews_at))] : null,
            sub.expires_at ? [el("dt", {}, "Expires"), el("dd", {}, time(sub.expires_at))] : null,
          )
        : null,
      el("h3", {}, "Memories used in this draft"),
      d.memories_used.length
        ? el(
            "ul",
            { class: "memories" },
            d.memories_used.map((m) => el("li", {}, m.kind ? el("span", { class: "kind" }, m.kind.replaceAll("_", " ")) : null, m.text)),
          )
        : el("p", { class: "muted" }, "None."),
      d.voice_examples_used && d.voice_examples_used.length
        ? [
            el("h3", {}, "Adapted from your replies"),
            el(
              "ul",
              { class: "memories" },
              d.voice_examples_used.map((e) => el("li", {}, e.fan_text ? el("span", { class: "kind" }, `to “${e.fan_text}”`) : null, e.reply)),
            ),
          ]
        : null,
      el("h3", {}, "Tags"),
      s.tags.length
        ? el("div", { class: "tags" }, s.tags.map((t) => el("span", { class: "tag" }, t.value ? `${t.tag}: ${t.value}` : t.tag)))
        : el("p", { class: "muted" }, "No tags."),
      s.pinned_notes.length ? [el("h3", {}, "Pinned notes"), s.pinned_notes.map((n) => el("p", { class: "muted" }, n.body))] : null,
      s.open_custom_requests && s.open_custom_requests.length
        ? [
            el("h3", {}, "Open custom requests"),
            el(
              "dl",
              { class: "kv" },
              s.open_custom_requests.flatMap((r) => [el("dt", {}, r.description), el("dd", {}, r.price == null ? "not quoted" : money(r.price))]),
            ),
          ]
        : null,
      el("h3", {}, "Activity"),
      el(
        "dl",
        { class: "kv" },
        el("dt", {}, "First seen"),
        el("dd", {}, time(s.first_seen_at)),
        s.last_active_at ? [el("dt", {}, "Last active"), el("dd", {}, time(s.last_active_at))] : null,
        s.last_purchase_at ? [el("dt", {}, "Last purchase"), el("dd", {}, time(s.last_purchase_at))] : null,
      ),
    ];
    side.replaceChildren(...blocks.flat(Infinity).filter(Boolean));
  }

  // ------------------------------------------------------------------ decisions

  function removeDecided(id) {
    const index = state.items.findIndex((i) => i.id === id);
    state.items = state.items.filter((i) => i.id !== id);
    state.known.delete(id);
    state.checked.delete(id);
    if (state.selectedId === id) {
      const next = state.items[Math.min(index, state.items.length - 1)];
      state.selectedId = next ? next.id : null;
      state.detail = null;
    }
    renderQueue();
    if (state.selectedId) loadDetail();
    else renderDetail();
    // A phone goes back to the queue, where the decided row has gone; wide screens stay put.
    showListPane();
    focusQueue();
  }

  function decisionMessage(kind, actionType, name) {
    if (kind === "reject") return `Rejected — redrafting for ${name}`;
    const verb = kind === "edit" ? "Edited and approved" : "Approved";
    if (actionType === "send_message" || actionType === "send_ppv") return `${verb} — sending to ${name}`;
    return `${verb}: ${(TYPE_LABEL[actionType] || "action").toLowerCase()} for ${name}`;
  }

  async function decide(kind, body) {
    const d = state.detail;
    if (!d) return;
    const name = d.fan ? d.fan.display_name : "the fan";
    try {
      await api(`/api/inbox/items/${d.id}/${kind}`, { method: "POST", body });
    } catch (error) {
      if (error.status === 409 || error.status === 404) loadQueue();
      return false;
    }
    toast(decisionMessage(kind, d.action_type, name));
    removeDecided(d.id);
    return true;
  }

  function setEditing(on, { quietly = false } = {}) {
    state.editing = on;
    const draft = $("d-draft");
    const price = $("d-price");
    draft.readOnly = !on;
    price.readOnly = !on;
    const decided = !!state.detail && state.detail.status !== "pending";
    $("btn-approve").hidden = on || decided;
    $("btn-edit").hidden = on || decided;
    $("btn-reject").hidden = on || decided;
    $("btn-save").hidden = !on;
    $("btn-cancel").hidden = !on;
    if (on && state.detail) {
      if (hasText(state.detail)) {
        draft.focus();
        draft.setSelectionRange(draft.value.length, draft.value.length);
      } else {
        price.focus();
        price.select();
      }
      if (!quietly) announce("Editing. Save and approve with Control Enter, cancel with Escape.");
    }
  }

  function startEdit() {
    if (!state.detail || state.detail.id !== state.selectedId || state.detail.status !== "pending") return;
    if (window.ui.isNarrow()) showDetailPane();
    setEditing(true);
  }

  function cancelEdit({ focusList = true } = {}) {
    if (state.detail) {
      const args = argsOf(state.detail);
      $("d-draft").value = hasText(state.detail) ? args.text : "";
      $("d-price").value = args.price == null ? "" : Number(args.price).toFixed(2);
    }
    setEditing(false);
    if (focusList && !window.ui.isNarrow()) focusQueue();
    else if (focusList) $("btn-edit").focus();
  }

  async function saveEdit() {
    const d = state.detail;
    if (!d) return;
    const args = {};
    if (hasText(d)) {
      const text = $("d-draft").value.trim();
      if (!text) {
        toast("The message cannot be empty", "error");
        return $("d-draft").focus();
      }
      args.text = text;
    }
    if (hasPrice(d) && $("d-price").value !== "") {
      const price = Number($("d-price").value);
      if (!Number.isFinite(price) || price < 0) {
        toast("Enter the price in dollars, for example 25.00", "error");
        return $("d-price").focus();
      }
      args.price = price.toFixed(2);
    }
    setEditing(false);
    // A refused edit (a price out of bounds, say) goes back to the editor with the text kept.
    const done = await decide("edit", { args });
    if (!done && state.detail === d) setEditing(true, { quietly: true });
  }

  function openReject() {
    if (!state.detail || state.detail.status !== "pending") return;
    $("reject-reason").value = "";
    $("reject-dialog").showModal();
    $("reject-reason").focus();
  }

  async function bulkApprove() {
    const ids = [...state.checked];
    if (!ids.length) return toast("Select drafts with x first");
    let result;
    try {
      result = await api("/api/inbox/items/bulk-approve", { method: "POST", body: { item_ids: ids } });
    } catch (_) {
      return;
    }
    const failed = result.results.filter((r) => !r.ok);
    toast(`Approved ${result.approved} draft${result.approved === 1 ? "" : "s"}` + (failed.length ? `, ${failed.length} skipped` : ""));
    state.checked.clear();
    await loadQueue();
  }

  function toggleCheck() {
    const id = state.selectedId;
    if (!id) return;
    const item = state.items.find((i) => i.id === id);
    const name = item && item.fan ? item.fan.display_name : "Draft";
    if (state.checked.has(id)) state.checked.delete(id);
    else state.checked.add(id);
    renderQueue();
    announce(`${name} ${state.checked.has(id) ? "selected" : "unselected"}. ${state.checked.size} selected for bulk approval.`);
  }

  // ------------------------------------------------------------------ live updates

  function connectLive() {
    const live = $("live");
    const source = new EventSource("/api/inbox/stream");
    source.addEventListener("ready", () => {
      live.textContent = "Live";
      live.classList.remove("off");
      live.title = "New drafts appear without reloading";
    });
    source.addEventListener("inbox", (event) => {
      const change = JSON.parse(event.data);
      loadQueue({ announceNew: true }).then(() => {
        if (change.item_id && state.detail && change.item_id === state.detail.id && !state.editing) loadDetail();
      });
    });
    // Access changed (an assignment, a role): the list may now show other creators. EventSource
    // reconnects by itself and the server answers with what this account may see now.
    source.addEventListener("access_changed", () => loadQueue({ announceNew: false }));
    source.onerror = () => {
      live.textContent = "Reconnecting…";
      live.classList.add("off");
    };
  }

  // ------------------------------------------------------------------ keyboard

  function onKey(event) {
    const target = event.target;
    const typing = target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement || target instanceof HTMLSelectElement;
    if (state.editing) {
      if (event.key === "Escape") {
        event.preventDefault();
        cancelEdit();
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        saveEdit();
      }
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    const onList = target === $("queue-list");
    const actions = {
      j: () => move(1),
      ArrowDown: () => move(1),
      k: () => move(-1),
      ArrowUp: () => move(-1),
      a: () => !$("btn-approve").disabled && !$("btn-approve").hidden && decide("approve"),
      t: retry,
      1: () => switchView("pending"),
      2: () => switchView("sending"),
      3: () => switchView("failed"),
      A: bulkApprove,
      e: startEdit,
      r: openReject,
      x: () => state.view === "pending" && toggleCheck(),
      "?": () => $("help-dialog").showModal(),
      Enter: onList ? () => state.selectedId && open(state.selectedId) : null,
      " ": onList ? () => state.selectedId && open(state.selectedId) : null,
      Escape: window.ui.isNarrow() && pane() === "detail" ? () => showListPane() : null,
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  }

  // ------------------------------------------------------------------ start

  async function start() {
    let me;
    try {
      me = await window.ui.startPage();
    } catch (_) {
      return;
    }
    const creatorSelect = $("f-creator");
    for (const c of me.creators) creatorSelect.append(el("option", { value: c.id }, c.display_name));

    $("filters").addEventListener("change", () => {
      state.selectedId = null;
      loadQueue();
    });
    $("filters").addEventListener("submit", (e) => e.preventDefault());
    $("btn-approve").addEventListener("click", () => decide("approve"));
    $("btn-edit").addEventListener("click", startEdit);
    $("btn-save").addEventListener("click", saveEdit);
    $("btn-cancel").addEventListener("click", () => cancelEdit());
    $("btn-reject").addEventListener("click", openReject);
    $("bulk-approve").addEventListener("click", bulkApprove);
    $("btn-retry").addEventListener("click", retry);
    for (const tab of document.querySelectorAll(".view-tab")) {
      tab.addEventListener("click", () => switchView(tab.dataset.view));
      tab.addEventListener("keydown", (event) => {
        const order = Object.keys(VIEWS);
        const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (!step) return;
        event.preventDefault();
        const next = order[(order.indexOf(tab.dataset.view) + step + order.length) % order.length];
        switchView(next).then(() => $(`view-${next}`).focus());
      });
    }
    $("back-btn").addEventListener("click", () => showListPane());
    $("fan-toggle").addEventListener("click", () => setFanOpen(!state.fanOpen));
    $("help-btn").addEventListener("click", () => $("help-dialog").showModal());
    $("help-close").addEventListener("click", () => $("help-dialog").close());
    $("reject-cancel").addEventListener("click", () => $("reject-dialog").close());
    $("reject-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const reason = $("reject-reason").value.trim();
      if (!reason) {
        announce("Write a reason first.", { assertive: true });
        return $("reject-reason").focus();
      }
      $("reject-dialog").close();
      decide("reject", { reason });
    });
    $("reject-reason").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        $("reject-form").requestSubmit();
      }
    });
    window.addEventListener("popstate", () => {
      state.pushedHistory = false;
      if (pane() === "detail") showListPane({ fromHistory: true });
    });
    window.ui.onNarrowChange((narrow) => {
      if (!narrow) $("split").dataset.pane = "list";
    });
    history.scrollRestoration = "manual";
    document.addEventListener("keydown", onKey);
    setInterval(() => {
      for (const badge of document.querySelectorAll("[data-sla]")) {
        const item = state.items.find((i) => i.id === badge.dataset.sla) || state.detail;
        if (item) badge.replaceWith(Object.assign(slaBadge(item), badge.id ? { id: badge.id } : {}));
      }
    }, 30000);

    await loadQueue();
    state.known = new Set(state.items.map((i) => i.id));
    connectLive();
    // Keyboard-first on wide screens; on a phone a focused list would only show a ring nobody asked for.
    if (!window.ui.isNarrow()) focusQueue();
    document.body.dataset.ready = "true";
  }

  start();
})();
