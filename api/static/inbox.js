"use strict";

// The approval inbox: a queue on the left, the selected draft in the middle, the fan on the right.
// Keyboard-first; live updates arrive over server-sent events; every change goes through the API.
(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    me: null,
    items: [],
    selectedId: null,
    detail: null,
    checked: new Set(),
    editing: false,
    fetchedAt: Date.now(),
    known: new Set(),
    loadSeq: 0,
  };
  const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  const TYPE_LABEL = {
    send_message: "Reply",
    send_ppv: "PPV offer",
    create_broadcast: "Broadcast",
    schedule_post: "Post",
    update_custom_request_price: "Custom quote",
  };

  // ------------------------------------------------------------------ helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function api(path, options = {}) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.method && options.method !== "GET" && state.me) headers["X-CSRF-Token"] = state.me.csrf_token;
    const response = await fetch(path, {
      credentials: "same-origin",
      ...options,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    if (response.status === 401) {
      window.location.replace("/login");
      throw new Error("signed out");
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const detail = data && typeof data.detail === "string" ? data.detail : `request failed (${response.status})`;
      const error = new Error(detail);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function toast(message, kind) {
    const node = el("div", { class: "toast" + (kind === "error" ? " error" : "") }, message);
    $("toasts").append(node);
    setTimeout(() => node.remove(), kind === "error" ? 6000 : 3200);
  }

  function waited(seconds) {
    if (seconds < 60) return "just now";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes}m`;
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return `${hours}h ${minutes % 60}m`;
    return `${Math.floor(hours / 24)}d ${hours % 24}h`;
  }

  function slaBadge(item) {
    const seconds = item.waiting_seconds + Math.floor((Date.now() - state.fetchedAt) / 1000);
    const level = seconds < 15 * 60 ? "ok" : seconds < 60 * 60 ? "warn" : "bad";
    return el(
      "span",
      { class: `sla sla-${level}`, title: "Time the fan has been waiting", "data-sla": item.id },
      waited(seconds),
    );
  }

  function tierChip(tier) {
    return el("span", { class: `tier tier-${tier}` }, tier);
  }

  function initials(name) {
    return (name || "?")
      .split(/\s+/)
      .map((part) => part[0])
      .join("")
      .slice(0, 2)
      .toUpperCase();
  }

  function time(iso) {
    const date = new Date(iso);
    return date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  // ------------------------------------------------------------------ queue

  function filters() {
    const params = new URLSearchParams();
    const creator = $("f-creator").value;
    const type = $("f-type").value;
    if (creator) params.set("creator_id", creator);
    if (type) params.set("action_type", type);
    params.set("sort", $("f-sort").value);
    params.set("limit", "100");
    return params;
  }

  async function loadQueue({ announce } = {}) {
    const seq = ++state.loadSeq;
    const page = await api(`/api/inbox/items?${filters()}`);
    if (seq !== state.loadSeq) return;
    const previous = state.known;
    state.items = page.items;
    state.fetchedAt = Date.now();
    state.known = new Set(page.items.map((i) => i.id));
    for (const id of [...state.checked]) if (!state.known.has(id)) state.checked.delete(id);
    const fresh = announce ? page.items.filter((i) => !previous.has(i.id)) : [];
    $("pending-count").textContent = `${page.total_pending ?? page.items.length} pending`;
    if (!state.items.some((i) => i.id === state.selectedId)) {
      state.selectedId = state.items.length ? state.items[0].id : null;
      state.detail = null;
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
    list.replaceChildren();
    if (!state.items.length) {
      list.append(
        el(
          "li",
          { class: "empty", role: "presentation" },
          el("div", { class: "big", "aria-hidden": "true" }),
          el("h2", {}, "All caught up"),
          el("div", {}, "Drafts show up here as fans write in."),
        ),
      );
      list.removeAttribute("aria-activedescendant");
    }
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
          onclick: () => select(item.id),
        },
        el("span", { class: "check", "aria-hidden": "true" }, checked ? "✓" : ""),
        el(
          "div",
          { class: "row-main" },
          el(
            "div",
            { class: "row-top" },
            el("span", { class: "fan-name" }, fan ? fan.display_name : "—"),
            fan ? tierChip(fan.spend_tier) : null,
            item.action_type !== "send_message" ? el("span", { class: "type-chip" }, TYPE_LABEL[item.action_type]) : null,
          ),
          el("div", { class: "creator-name" }, `for ${item.creator_name}${fan ? " · " + money.format(Number(fan.lifetime_spend)) : ""}`),
          el("div", { class: "preview" }, item.preview),
        ),
        el(
          "div",
          { class: "row-side" },
          slaBadge(item),
          el(
            "div",
            { class: "row-flags" },
            item.flags.map((f) =>
              el("span", { class: `flag flag-${f.severity}`, title: f.message }, f.severity === "block" ? "⛔" : "⚠", f.code.replaceAll("_", " ")),
            ),
          ),
        ),
      );
      if (checked) row.setAttribute("aria-label", `${fan ? fan.display_name : "Draft"}, selected for bulk approval`);
      list.append(row);
    }
    if (state.selectedId) list.setAttribute("aria-activedescendant", `item-${state.selectedId}`);
    const count = state.items.length;
    $("queue-summary").textContent = count ? `${count} draft${count === 1 ? "" : "s"} waiting` : "Nothing waiting";
    $("bulk-bar").hidden = state.checked.size === 0;
    $("bulk-count").textContent = `${state.checked.size} selected`;
    const current = document.getElementById(`item-${state.selectedId}`);
    if (current) current.scrollIntoView({ block: "nearest" });
  }

  async function select(id) {
    if (state.editing) cancelEdit();
    state.selectedId = id;
    renderQueue();
    await loadDetail();
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
      const detail = await api(`/api/inbox/items/${id}`);
      if (state.selectedId !== id) return;
      // A reviewer already typing in this draft keeps their text; only a different item re-renders.
      if (state.editing && state.detail && state.detail.id === id) return;
      state.detail = detail;
    } catch (error) {
      if (error.status === 404) {
        state.detail = null;
        return loadQueue();
      }
      throw error;
    }
    renderDetail();
  }

  function renderDetail() {
    const d = state.detail;
    $("placeholder").hidden = !!d;
    $("detail").hidden = !d;
    if (!d) {
      $("sidebar").replaceChildren(el("p", { class: "muted" }, "Select a draft to see the fan."));
      return;
    }
    const fan = d.fan;
    $("d-fan").textContent = fan ? fan.display_name : "No fan";
    $("d-sub").replaceChildren(`${d.creator_name} · expires ${time(d.expires_at)}`);
    $("d-type").textContent = TYPE_LABEL[d.action_type] || d.action_type;
    $("d-sla").replaceWith(Object.assign(slaBadge(d), { id: "d-sla" }));

    const conversation = $("d-conversation");
    conversation.replaceChildren();
    if (!d.conversation.length) conversation.append(el("div", { class: "day-sep" }, "No messages yet"));
    for (const m of d.conversation) {
      conversation.append(
        el(
          "div",
          { class: `bubble ${m.direction === "inbound" ? "in" : "out"}` },
          m.is_ppv && m.price ? `🔒 ${money.format(Number(m.price))} · ` : "",
          m.text,
          el("span", { class: "meta" }, `${m.direction === "inbound" ? "Fan" : m.sender === "agent" ? "Sent (approved draft)" : "Creator"} · ${time(m.sent_at)}`),
        ),
      );
    }
    conversation.scrollTop = conversation.scrollHeight;

    $("d-flags").replaceChildren(
      ...d.flags.map((f) =>
        el(
          "div",
          { class: `flag-line ${f.severity}`, role: f.severity === "block" ? "alert" : null },
          el("strong", {}, f.severity === "block" ? "Blocked" : "Check"),
          el("span", {}, f.message || f.code),
        ),
      ),
    );
    const args = d.final_args || d.proposed_args;
    const draft = $("d-draft");
    draft.value = args.text || JSON.stringify(args, null, 2);
    draft.readOnly = true;
    $("d-draft-label").textContent = d.action_type === "send_ppv" ? `AI draft · PPV at ${money.format(Number(args.price))}` : "AI draft";
    $("d-confidence").textContent = d.confidence == null ? "" : `confidence ${Math.round(d.confidence * 100)}%`;
    $("d-why").textContent = d.why ? `Why: ${d.why}` : "";
    const diff = $("d-diff");
    diff.hidden = !d.diff;
    if (d.diff) {
      diff.replaceChildren(
        el("strong", {}, "Your edit: "),
        ...d.diff.map((part) => el(part.op === "insert" ? "ins" : part.op === "delete" ? "del" : "span", {}, part.text + " ")),
      );
    }
    const blocked = d.flags.some((f) => f.severity === "block");
    $("btn-approve").disabled = blocked;
    $("btn-approve").title = blocked ? "A guardrail blocks this draft: edit or reject it" : "";
    setEditing(false);
    renderSidebar(d);
    document.body.dataset.detail = d.id;
  }

  function renderSidebar(d) {
    const s = d.dossier;
    const side = $("sidebar");
    if (!s) {
      side.replaceChildren(el("p", { class: "muted" }, "No fan on this action."));
      return;
    }
    const sub = s.subscription;
    const byKind = Object.entries(s.spend_by_kind || {}).filter(([, v]) => Number(v) > 0);
    const blocks = [
      el("h2", {}, "Fan"),
      el(
        "div",
        { class: "fan-card" },
        el("span", { class: "avatar", "aria-hidden": "true" }, initials(s.display_name)),
        el("div", {}, el("div", { class: "name" }, s.display_name), tierChip(s.spend_tier)),
      ),
      el(
        "div",
        { class: "stats" },
        el("div", { class: "stat" }, el("div", { class: "label" }, "Lifetime spend"), el("div", { class: "value" }, money.format(Number(s.lifetime_spend)))),
        el(
          "div",
          { class: "stat" },
          el("div", { class: "label" }, "Subscription"),
          el("div", { class: `value sub-status sub-${sub ? sub.status : "none"}` }, sub ? sub.status : "—"),
        ),
      ),
      el("h2", {}, "Spend by type"),
      byKind.length
        ? el("dl", { class: "kv" }, byKind.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, money.format(Number(v)))]))
        : el("p", { class: "muted" }, "No purchases yet."),
      sub
        ? el(
            "dl",
            { class: "kv" },
            el("dt", {}, "Price"),
            el("dd", {}, money.format(Number(sub.price))),
            sub.renews_at ? [el("dt", {}, "Renews"), el("dd", {}, time(sub.renews_at))] : null,
            sub.expires_at ? [el("dt", {}, "Expires"), el("dd", {}, time(sub.expires_at))] : null,
          )
        : null,
      el("h2", {}, "Memories used in this draft"),
      d.memories_used.length
        ? el(
            "ul",
            { class: "memories" },
            d.memories_used.map((m) => el("li", {}, m.kind ? el("span", { class: "kind" }, m.kind.replaceAll("_", " ")) : null, m.text)),
          )
        : el("p", { class: "muted" }, "None."),
      el("h2", {}, "Tags"),
      s.tags.length ? el("div", { class: "tags" }, s.tags.map((t) => el("span", { class: "tag" }, t.value ? `${t.tag}: ${t.value}` : t.tag))) : el("p", { class: "muted" }, "No tags."),
      s.pinned_notes.length ? [el("h2", {}, "Pinned notes"), s.pinned_notes.map((n) => el("p", { class: "muted" }, n.body))] : null,
      el("h2", {}, "Activity"),
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
    $("queue-list").focus();
  }

  async function decide(kind, body) {
    const d = state.detail;
    if (!d) return;
    const name = d.fan ? d.fan.display_name : "the fan";
    try {
      await api(`/api/inbox/items/${d.id}/${kind}`, { method: "POST", body });
      toast(kind === "reject" ? `Rejected — redrafting for ${name}` : `Sent to ${name}`);
      removeDecided(d.id);
    } catch (error) {
      toast(error.message, "error");
      if (error.status === 409 || error.status === 404) loadQueue();
    }
  }

  function setEditing(on) {
    state.editing = on;
    const draft = $("d-draft");
    draft.readOnly = !on;
    $("btn-approve").hidden = on;
    $("btn-edit").hidden = on;
    $("btn-reject").hidden = on;
    $("btn-save").hidden = !on;
    $("btn-cancel").hidden = !on;
    if (on) {
      draft.focus();
      draft.setSelectionRange(draft.value.length, draft.value.length);
    }
  }

  function startEdit() {
    if (!state.detail || state.detail.id !== state.selectedId) return;
    setEditing(true);
  }

  function cancelEdit() {
    if (state.detail) {
      const args = state.detail.final_args || state.detail.proposed_args;
      $("d-draft").value = args.text || "";
    }
    setEditing(false);
    $("queue-list").focus();
  }

  function saveEdit() {
    const text = $("d-draft").value.trim();
    if (!text) return toast("The message cannot be empty", "error");
    setEditing(false);
    decide("edit", { args: { text } });
  }

  function openReject() {
    if (!state.detail) return;
    $("reject-reason").value = "";
    $("reject-dialog").showModal();
    $("reject-reason").focus();
  }

  async function bulkApprove() {
    const ids = [...state.checked];
    if (!ids.length) return toast("Select drafts with x first");
    try {
      const result = await api("/api/inbox/items/bulk-approve", { method: "POST", body: { item_ids: ids } });
      const failed = result.results.filter((r) => !r.ok);
      toast(`Approved ${result.approved} draft${result.approved === 1 ? "" : "s"}` + (failed.length ? `, ${failed.length} skipped` : ""));
      state.checked.clear();
      await loadQueue();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  function toggleCheck() {
    const id = state.selectedId;
    if (!id) return;
    if (state.checked.has(id)) state.checked.delete(id);
    else state.checked.add(id);
    renderQueue();
  }

  // ------------------------------------------------------------------ live updates

  function connectLive() {
    const live = $("live");
    const source = new EventSource("/api/inbox/stream");
    source.addEventListener("ready", () => {
      live.textContent = "Live";
      live.classList.remove("off");
    });
    source.addEventListener("inbox", (event) => {
      const change = JSON.parse(event.data);
      loadQueue({ announce: true }).then(() => {
        if (change.item_id && state.detail && change.item_id === state.detail.id && !state.editing) loadDetail();
      });
    });
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
    const actions = {
      j: () => move(1),
      ArrowDown: () => move(1),
      k: () => move(-1),
      ArrowUp: () => move(-1),
      a: () => !$("btn-approve").disabled && decide("approve"),
      A: bulkApprove,
      e: startEdit,
      r: openReject,
      x: toggleCheck,
      "?": () => $("help-dialog").showModal(),
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
      me = await api("/api/auth/me");
    } catch (_) {
      return;
    }
    state.me = me;
    $("user-name").textContent = me.display_name;
    $("user-role").textContent = me.role;
    $("user-avatar").textContent = initials(me.display_name);
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
    $("btn-cancel").addEventListener("click", cancelEdit);
    $("btn-reject").addEventListener("click", openReject);
    $("bulk-approve").addEventListener("click", bulkApprove);
    $("help-btn").addEventListener("click", () => $("help-dialog").showModal());
    $("help-close").addEventListener("click", () => $("help-dialog").close());
    $("reject-cancel").addEventListener("click", () => $("reject-dialog").close());
    $("reject-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const reason = $("reject-reason").value.trim();
      if (!reason) return $("reject-reason").focus();
      $("reject-dialog").close();
      decide("reject", { reason });
    });
    $("reject-reason").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        $("reject-form").requestSubmit();
      }
    });
    $("logout").addEventListener("click", async () => {
      await api("/api/auth/logout", { method: "POST" }).catch(() => null);
      window.location.replace("/login");
    });
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
    $("queue-list").focus();
    document.body.dataset.ready = "true";
  }

  start();
})();
