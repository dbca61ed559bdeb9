"use strict";

// The chat page: your threads with the assistant (per creator), the conversation with answers that
// stream in word by word, every tool call as one compact line you can open, and the actions the
// assistant queued as cards you approve, edit or reject right here — the same decision service as the
// inbox, so the first decision wins wherever it is made, and a card follows a decision made in the
// inbox live. Wide screens show list and conversation side by side; a phone shows one at a time.
(function () {
  const { el, money, moneyIn, time, announce, toast, api } = window.ui;
  const $ = (id) => document.getElementById(id);
  const state = {
    me: null,
    creatorId: null,
    threads: [],
    thread: null, // the open thread (from the API), or null for a new chat
    items: new Map(), // item id → card data
    streaming: false,
    pushedHistory: false,
  };
  const TYPE_LABEL = {
    send_message: "Message",
    send_ppv: "PPV offer",
    create_broadcast: "Broadcast",
    schedule_post: "Post",
    update_custom_request_price: "Custom quote",
  };
  const STATUS_LABEL = {
    pending: "Waiting for you",
    approved: "Approved — sending",
    executed: "Sent",
    rejected: "Rejected",
    expired: "Expired",
    superseded: "Superseded",
    failed: "Failed",
    stale: "Not sent",
  };

  // ------------------------------------------------------------------ panes (phones)

  function showPane(name) {
    if (!window.ui.isNarrow()) {
      $("split").dataset.pane = "detail";
      return;
    }
    if ($("split").dataset.pane === name) return;
    $("split").dataset.pane = name;
    if (name === "detail" && !state.pushedHistory) {
      history.pushState({ chatDetail: true }, "");
      state.pushedHistory = true;
    }
    window.scrollTo(0, 0);
  }

  function backToList() {
    if (state.pushedHistory) {
      state.pushedHistory = false;
      history.back();
      return;
    }
    $("split").dataset.pane = "list";
    window.scrollTo(0, 0);
    const current = document.querySelector(".thread-row[aria-current='true']") || $("new-chat");
    current.focus();
  }

  // ------------------------------------------------------------------ threads

  function creatorName(id) {
    const creator = (state.me.creators || []).find((c) => c.id === id);
    return creator ? creator.display_name : "";
  }

  async function loadThreads() {
    const params = state.creatorId ? `?creator_id=${encodeURIComponent(state.creatorId)}` : "";
    state.threads = await api(`/api/chat/threads${params}`);
    renderThreads();
  }

  function renderThreads() {
    const list = $("thread-list");
    list.replaceChildren(
      ...state.threads.map((t) =>
        el(
          "li",
          {},
          el(
            "button",
            {
              type: "button",
              class: "thread-row",
              id: `thread-${t.id}`,
              "data-thread": t.id,
              "aria-current": state.thread && state.thread.thread.id === t.id ? "true" : null,
              onclick: () => openThread(t.id),
            },
            el("span", { class: "t-title" }, t.title),
            el(
              "span",
              { class: "t-sub" },
              el("span", {}, t.creator_name),
              el("span", { "aria-hidden": "true" }, "·"),
              el("span", {}, time(t.last_message_at || t.created_at)),
            ),
          ),
        ),
      ),
    );
    $("threads-empty").hidden = state.threads.length > 0;
  }

  function setUrl(threadId) {
    const url = threadId ? `/chat?thread=${encodeURIComponent(threadId)}` : "/chat";
    history.replaceState(history.state, "", url);
  }

  async function openThread(id, { focus = true } = {}) {
    const detail = await api(`/api/chat/threads/${encodeURIComponent(id)}`);
    state.thread = detail;
    state.items = new Map(detail.items.map((i) => [i.id, i]));
    renderThread();
    renderThreads();
    setUrl(id);
    showPane("detail");
    if (focus) $("chat-title").focus({ preventScroll: window.ui.isNarrow() });
  }

  function newChat() {
    if (state.streaming) return;
    state.thread = null;
    state.items = new Map();
    renderThread();
    renderThreads();
    setUrl(null);
    showPane("detail");
    $("composer-input").focus();
  }

  // ------------------------------------------------------------------ the conversation

  function renderThread() {
    const log = $("log");
    const welcome = $("welcome");
    log.replaceChildren(welcome);
    const t = state.thread;
    $("chat-title").textContent = t ? t.thread.title : "New chat";
    $("chat-sub").textContent = t ? t.thread.creator_name : creatorName(state.creatorId) ? `About ${creatorName(state.creatorId)}` : "";
    welcome.hidden = Boolean(t && t.messages.length);
    if (!t) return;
    for (const entry of t.messages) {
      if (entry.role === "user") log.append(...bubble("user", entry.text));
      else if (entry.role === "assistant") log.append(...bubble("assistant", entry.text));
      else if (entry.role === "note") log.append(note(entry.text));
      else if (entry.role === "tool") {
        log.append(toolRow(entry.tool, entry.args, entry.result, entry.error, entry.id));
        const queued = entry.result && entry.result.queued_item_id;
        if (queued && state.items.has(queued)) log.append(card(state.items.get(queued)));
      }
    }
    // Items whose tool line is not in the history (should not happen; never hide an action).
    for (const item of state.items.values()) {
      if (!log.querySelector(`.card[data-item="${item.id}"]`)) log.append(card(item));
    }
    scrollToEnd();
  }

  function scrollToEnd() {
    const log = $("log");
    if (window.ui.isNarrow()) {
      if (log.querySelector(".msg")) window.scrollTo(0, document.body.scrollHeight);
    } else {
      log.scrollTop = log.scrollHeight;
    }
  }

  const OFFLINE = /^\(Offline model, rule-based\.\)\s*/;

  // A message bubble; an offline-model answer also gets its label (so: a list of nodes).
  function bubble(role, text) {
    if (role !== "assistant") return [el("div", { class: `msg ${role}` }, text)];
    const node = el("div", { class: "msg assistant" }, cleanAnswer(text));
    return OFFLINE.test(String(text || "")) ? [node, offlineLabel()] : [node];
  }

  function offlineLabel() {
    return el("p", { class: "msg-meta" }, "Offline model · rule-based, no AI service was called");
  }

  // The offline model says so at the start of each answer; the page shows it as a small label.
  function cleanAnswer(text) {
    return String(text || "").replace(OFFLINE, "");
  }

  function markOffline(node) {
    if (!node.nextElementSibling || !node.nextElementSibling.classList.contains("msg-meta")) node.after(offlineLabel());
  }

  function note(text) {
    return el("p", { class: "note" }, text);
  }

  function compactArgs(args) {
    const parts = [];
    for (const [key, value] of Object.entries(args || {})) {
      if (value === null || value === undefined || value === "") continue;
      if (/_id$/.test(key)) continue; // ids mean nothing to a person; the result names the fan
      const shown = typeof value === "object" ? JSON.stringify(value) : String(value);
      parts.push(`${key}: ${shown.length > 40 ? `${shown.slice(0, 39)}…` : shown}`);
    }
    return parts.join(", ");
  }

  function resultSummary(tool, result, error) {
    if (error) return { text: `error: ${error}`, bad: true };
    if (result === null || result === undefined) return { text: "" };
    if (typeof result !== "object") return { text: String(result).slice(0, 60) };
    if (result.queued_item_id) return { text: "queued for your approval" };
    if (tool === "find_fan") {
      if (result.status === "unique") return { text: `found ${result.fan.name}` };
      if (result.status === "ambiguous") return { text: `${result.matches || result.candidates.length} fans share this name` };
      return { text: "no such fan" };
    }
    if (result.window && result.window.label) return { text: result.window.label };
    if (Array.isArray(result.fans)) return { text: `${result.fans.length} fan${result.fans.length === 1 ? "" : "s"}` };
    if (Array.isArray(result.items)) return { text: `${result.items.length} result${result.items.length === 1 ? "" : "s"}` };
    if (Array.isArray(result.memories)) return { text: `${result.memories.length + (result.notes || []).length} things known` };
    if (result.display_name) return { text: `${result.display_name}'s profile` };
    return { text: "done" };
  }

  let rows = 0;

  function toolRow(tool, args, result, error, callId) {
    const summary = resultSummary(tool, result, error);
    rows += 1;
    const row = el(
      "details",
      { class: "tool", "data-tool": tool },
      el(
        "summary",
        { id: `tool-${callId || rows}` },
        el("span", { class: "sr-only" }, "Tool call "),
        el("span", { class: "t-name" }, tool),
        compactArgs(args) ? el("span", { class: "t-args" }, `(${compactArgs(args)})`) : null,
        el("span", { "aria-hidden": "true" }, "→"),
        el("span", { class: `t-result${summary.bad ? " error" : ""}` }, summary.text || "running…"),
      ),
      // Long results scroll: focusable so a keyboard can scroll them too.
      el("pre", { tabindex: "0", id: `result-${callId || rows}`, "aria-label": `What ${tool} returned` }, JSON.stringify(result === undefined ? null : result, null, 2) || ""),
    );
    return row;
  }

  function fillToolRow(row, tool, result, error) {
    const summary = resultSummary(tool, result, error);
    const out = row.querySelector(".t-result");
    out.textContent = summary.text || "done";
    out.classList.toggle("error", Boolean(summary.bad));
    row.querySelector("pre").textContent = JSON.stringify(result, null, 2);
  }

  // ------------------------------------------------------------------ cards

  function card(item) {
    const pending = item.status === "pending";
    const node = el(
      "article",
      { class: "card", "data-item": item.id, "data-status": item.status, "aria-label": `${TYPE_LABEL[item.action_type] || item.action_type} for ${item.fan_name || "your fans"}` },
      el(
        "div",
        { class: "card-head" },
        el("span", { class: "type-chip" }, TYPE_LABEL[item.action_type] || item.action_type),
        item.fan_name ? el("span", { class: "fan" }, item.fan_name) : null,
        item.price !== null && item.price !== undefined ? el("span", { class: "price-chip" }, money(item.price)) : null,
        el("span", { class: `card-status ${item.status}` }, STATUS_LABEL[item.status] || item.status),
      ),
      item.text ? el("p", { class: "card-text" }, item.text) : null,
      el(
        "div",
        { class: "card-flags" },
        ...item.flags.map((f) =>
          el(
            "div",
            { class: `flag-line ${f.severity === "block" ? "block" : "warn"}` },
            el("span", { class: "sr-only" }, f.severity === "block" ? "Blocked: " : "Check: "),
            moneyIn(f.message || f.code),
          ),
        ),
      ),
      pending ? cardActions(item) : outcome(item),
    );
    return node;
  }

  function outcome(item) {
    const parts = [];
    if (item.edited) parts.push("edited before approval");
    if (item.decision_reason && item.status === "rejected") parts.push(`reason: ${item.decision_reason}`);
    if (item.error) parts.push(item.error);
    if (item.decided_at) parts.push(time(item.decided_at));
    return parts.length ? el("p", { class: "card-outcome" }, parts.join(" · ")) : null;
  }

  function cardActions(item) {
    return el(
      "div",
      { class: "card-actions", role: "group", "aria-label": "Decision" },
      el("button", { type: "button", id: `approve-${item.id}`, class: "btn btn-primary", "data-act": "approve", disabled: item.blocked, onclick: () => decide(item, { decision: "approve" }) }, "Approve"),
      el("button", { type: "button", id: `edit-${item.id}`, class: "btn", "data-act": "edit", onclick: (e) => startEdit(e.target.closest(".card"), item) }, "Edit"),
      el("span", { class: "spacer" }),
      el("button", { type: "button", id: `reject-${item.id}`, class: "btn btn-danger", "data-act": "reject", onclick: (e) => startReject(e.target.closest(".card"), item) }, "Reject"),
    );
  }

  function replaceCard(item) {
    state.items.set(item.id, item);
    const old = document.querySelector(`.card[data-item="${item.id}"]`);
    const fresh = card(item);
    if (old) old.replaceWith(fresh);
    else $("log").append(fresh);
    return fresh;
  }

  function startEdit(node, item) {
    const textId = `edit-text-${item.id}`;
    const priceId = `edit-price-${item.id}`;
    const hasPrice = item.price !== null && item.price !== undefined;
    const fields = el(
      "div",
      { class: "edit-fields" },
      item.text !== null ? el("label", { for: textId }, "Text") : null,
      item.text !== null ? el("textarea", { id: textId }) : null,
      hasPrice ? el("label", { for: priceId }, "Price (US dollars)") : null,
      hasPrice ? el("input", { id: priceId, type: "number", inputmode: "decimal", min: "0", step: "0.01" }) : null,
    );
    const save = () => {
      const args = {};
      const text = fields.querySelector("textarea");
      const price = fields.querySelector("input");
      if (text && text.value.trim() !== (item.text || "")) args.text = text.value.trim();
      if (price && price.value !== "" && Number(price.value) !== Number(item.price)) args.price = Number(price.value).toFixed(2);
      if (!Object.keys(args).length) return decide(item, { decision: "approve" });
      return decide(item, { decision: "edit", args });
    };
    const actions = el(
      "div",
      { class: "card-actions" },
      el("button", { type: "button", id: `save-${item.id}`, class: "btn btn-primary", "data-act": "save", onclick: save }, "Save & approve"),
      el("button", { type: "button", id: `cancel-${item.id}`, class: "btn", onclick: () => replaceCard(item).querySelector("[data-act='edit']").focus() }, "Cancel"),
    );
    fields.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        save();
      } else if (event.key === "Escape") {
        event.preventDefault();
        replaceCard(item).querySelector("[data-act='edit']").focus();
      }
    });
    node.querySelector(".card-text")?.remove();
    node.querySelector(".card-actions").replaceWith(fields, actions);
    const text = fields.querySelector("textarea");
    if (text) text.value = item.text || "";
    const price = fields.querySelector("input");
    if (price) price.value = Number(item.price).toFixed(2);
    (text || price).focus();
  }

  function startReject(node, item) {
    const reasonId = `reason-${item.id}`;
    const field = el(
      "div",
      { class: "reason-field" },
      el("label", { for: reasonId }, "Why? (optional)"),
      el("input", { id: reasonId, type: "text", maxlength: "1000", placeholder: "Not this week" }),
    );
    const confirm = () => decide(item, { decision: "reject", reason: field.querySelector("input").value.trim() });
    field.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        confirm();
      } else if (event.key === "Escape") {
        event.preventDefault();
        replaceCard(item).querySelector("[data-act='reject']").focus();
      }
    });
    const actions = el(
      "div",
      { class: "card-actions" },
      el("button", { type: "button", id: `confirm-reject-${item.id}`, class: "btn btn-danger", "data-act": "confirm-reject", onclick: confirm }, "Reject"),
      el("button", { type: "button", id: `cancel-reject-${item.id}`, class: "btn", onclick: () => replaceCard(item).querySelector("[data-act='reject']").focus() }, "Cancel"),
    );
    node.querySelector(".card-actions").replaceWith(field, actions);
    field.querySelector("input").focus();
  }

  async function decide(item, body) {
    const node = document.querySelector(`.card[data-item="${item.id}"]`);
    for (const button of node ? node.querySelectorAll("button") : []) button.disabled = true;
    const threadId = state.thread.thread.id;
    try {
      const result = await api(`/api/chat/threads/${threadId}/items/${item.id}/decision`, { method: "POST", body, quiet: true });
      const fresh = replaceCard(result.item);
      const fan = result.item.fan_name || "your fans";
      const outcome = {
        executed: `sent to ${fan}`,
        approved: `sending to ${fan}`,
        failed: `sending failed: ${result.item.error || "see the card"}`,
        stale: `not sent: ${result.item.error || "see the card"}`,
      }[result.item.status] || STATUS_LABEL[result.item.status] || result.item.status;
      const said = {
        approve: `Approved — ${outcome}`,
        edit: `Edited and approved — ${outcome}`,
        reject: `Rejected — nothing goes to ${fan}`,
      }[body.decision];
      toast(said);
      fresh.setAttribute("tabindex", "-1");
      fresh.focus();
      await refreshItems();
    } catch (failure) {
      if (failure.status === 409) toast("Already decided (perhaps in the inbox): showing what happened.", "error");
      else toast(failure.message, "error");
      await refreshItems();
      const again = document.querySelector(`.card[data-item="${item.id}"]`);
      if (again && failure.status !== 409) {
        const fresh = replaceCard(state.items.get(item.id));
        fresh.querySelector("[data-act='approve']")?.focus();
      }
    }
  }

  async function refreshItems() {
    if (!state.thread) return;
    const detail = await api(`/api/chat/threads/${state.thread.thread.id}`, { quiet: true }).catch(() => null);
    if (!detail || !state.thread || detail.thread.id !== state.thread.thread.id) return;
    state.thread = detail;
    for (const item of detail.items) {
      const known = state.items.get(item.id);
      const editing = document.querySelector(`.card[data-item="${item.id}"] .edit-fields, .card[data-item="${item.id}"] .reason-field`);
      if (!known || known.status !== item.status || (!editing && JSON.stringify(known) !== JSON.stringify(item))) {
        if (!(editing && item.status === "pending")) replaceCard(item);
        if (known && known.status === "pending" && item.status !== "pending") {
          announce(`${TYPE_LABEL[item.action_type] || "Action"} for ${item.fan_name || "your fans"}: ${STATUS_LABEL[item.status] || item.status}`);
        }
      }
    }
  }

  // ------------------------------------------------------------------ sending and streaming

  function parseFrames(buffer, onEvent) {
    const frames = buffer.split("\n\n");
    const rest = frames.pop();
    for (const frame of frames) {
      let kind = "message";
      const data = [];
      for (const line of frame.split("\n")) {
        if (line.startsWith("event: ")) kind = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length) onEvent(kind, JSON.parse(data.join("\n")));
    }
    return rest;
  }

  async function ensureThread(text) {
    if (state.thread) return state.thread.thread.id;
    const created = await api("/api/chat/threads", {
      method: "POST",
      body: { creator_id: state.creatorId, title: text.slice(0, 60) || "New chat" },
    });
    state.thread = { thread: created, messages: [], items: [], waiting_for_approval: false };
    setUrl(created.id);
    return created.id;
  }

  async function send(text) {
    text = text.trim();
    if (!text || state.streaming) return;
    state.streaming = true;
    document.body.dataset.busy = "true";
    $("send").disabled = true;
    const log = $("log");
    try {
      const threadId = await ensureThread(text);
      $("welcome").hidden = true;
      $("composer-input").value = "";
      grow();
      log.append(...bubble("user", text));
      let answer = el("div", { class: "msg assistant thinking" }, "Thinking…");
      log.append(answer);
      scrollToEnd();
      const tools = new Map();
      let started = false;
      let queued = 0;
      const headers = { "Content-Type": "application/json", Accept: "text/event-stream" };
      if (window.ui.session.me && window.ui.session.me.csrf_token) headers["X-CSRF-Token"] = window.ui.session.me.csrf_token;
      const response = await fetch(`/api/chat/threads/${threadId}/messages`, {
        method: "POST",
        credentials: "same-origin",
        headers,
        body: JSON.stringify({ text }),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        answer.remove();
        throw new window.ui.ApiError(window.ui.errorMessage(response.status, body), { status: response.status });
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      const onEvent = (kind, data) => {
        if (kind === "token") {
          if (!started) {
            started = true;
            answer.classList.remove("thinking");
            answer.classList.add("streaming");
            answer.textContent = "";
          }
          answer.textContent = cleanAnswer(answer.textContent + data.text);
        } else if (kind === "tool_call") {
          const row = toolRow(data.tool, data.args, undefined, null, data.id);
          tools.set(data.id, row);
          answer.before(row);
        } else if (kind === "tool_result") {
          const row = tools.get(data.id);
          let result = data.content;
          try {
            result = JSON.parse(data.content);
          } catch (_) {
            /* plain text */
          }
          if (row) fillToolRow(row, data.tool, result, result && typeof result === "object" ? result.error : null);
        } else if (kind === "note") {
          answer.before(note(data.text));
        } else if (kind === "approval_required") {
          for (const item of data.items || []) {
            state.items.set(item.id, item);
            const row = [...log.querySelectorAll(".tool")].find((r) => r.querySelector("pre").textContent.includes(item.id));
            const node = card(item);
            if (row) row.after(node);
            else answer.before(node);
            queued += 1;
          }
        } else if (kind === "error") {
          toast(data.detail || "The assistant could not answer.", "error");
        } else if (kind === "done") {
          answer.classList.remove("streaming", "thinking");
          if (!data.turn.text) answer.remove();
          else {
            answer.textContent = cleanAnswer(data.turn.text);
            if (OFFLINE.test(data.turn.text)) markOffline(answer);
          }
        }
        scrollToEnd();
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = parseFrames(buffer + decoder.decode(value, { stream: true }), onEvent);
      }
      parseFrames(`${buffer}\n\n`, onEvent);
      const said = answer.isConnected ? answer.textContent : "";
      announce(queued ? `${queued} action${queued === 1 ? "" : "s"} wait for your approval. ${said.slice(0, 200)}` : `The assistant answered: ${said.slice(0, 300)}`);
      await loadThreads();
      const fresh = state.threads.find((t) => t.id === threadId);
      if (fresh && state.thread) {
        state.thread.thread = fresh;
        $("chat-title").textContent = fresh.title;
        $("chat-sub").textContent = fresh.creator_name;
      }
    } catch (failure) {
      if (!(failure instanceof window.ui.ApiError)) toast("Cannot reach Fanpilot. Check your connection and try again.", "error");
      else toast(failure.message, "error");
    } finally {
      state.streaming = false;
      delete document.body.dataset.busy;
      $("send").disabled = false;
      $("composer-input").focus({ preventScroll: true });
    }
  }

  function grow() {
    const box = $("composer-input");
    box.style.height = "auto";
    box.style.height = `${Math.min(box.scrollHeight + 2, 200)}px`;
  }

  // ------------------------------------------------------------------ live updates from the inbox

  function connectLive() {
    const live = $("live");
    const source = new EventSource("/api/inbox/stream");
    source.addEventListener("ready", () => {
      live.textContent = "Live";
      live.classList.remove("off");
      live.title = "Cards follow decisions made in the inbox";
    });
    source.addEventListener("inbox", (event) => {
      const change = JSON.parse(event.data);
      if (change.item_id && state.items.has(change.item_id) && !state.streaming) refreshItems();
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
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "n") {
      event.preventDefault();
      newChat();
    } else if (event.key === "/") {
      event.preventDefault();
      showPane("detail");
      $("composer-input").focus();
    }
  }

  // ------------------------------------------------------------------ start

  async function start() {
    state.me = await window.ui.startPage();
    const creators = state.me.creators || [];
    const wanted = new URLSearchParams(location.search).get("thread");
    state.creatorId = creators.length ? creators[0].id : null;
    const select = $("creator");
    select.replaceChildren(...creators.map((c) => el("option", { value: c.id }, c.display_name)));
    $("creator-field").hidden = creators.length < 2;
    select.addEventListener("change", async () => {
      state.creatorId = select.value;
      await loadThreads();
      newChat();
    });
    if (!creators.length) {
      $("composer-input").disabled = true;
      $("send").disabled = true;
      $("new-chat").disabled = true;
      $("welcome").replaceChildren(el("p", { class: "welcome-title" }, "You have no creators to chat about yet."));
    }
    await loadThreads();
    if (wanted) {
      const detail = await api(`/api/chat/threads/${encodeURIComponent(wanted)}`, { quiet: true }).catch(() => null);
      if (detail) {
        state.creatorId = detail.thread.creator_id;
        select.value = state.creatorId;
        await loadThreads();
        await openThread(wanted, { focus: false });
      } else {
        setUrl(null);
      }
    }
    if (!state.thread) {
      renderThread();
      $("split").dataset.pane = window.ui.isNarrow() && state.threads.length ? "list" : "detail";
    }
    $("new-chat").addEventListener("click", newChat);
    $("back-btn").addEventListener("click", backToList);
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      send($("composer-input").value);
    });
    $("composer-input").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send($("composer-input").value);
      } else if (event.key === "Escape") {
        $("composer-input").blur();
      }
    });
    $("composer-input").addEventListener("input", grow);
    for (const button of document.querySelectorAll(".suggestion")) {
      button.addEventListener("click", () => send(button.textContent));
    }
    window.addEventListener("popstate", () => {
      if (window.ui.isNarrow() && $("split").dataset.pane === "detail") {
        state.pushedHistory = false;
        $("split").dataset.pane = "list";
      }
    });
    window.ui.onNarrowChange((narrow) => {
      if (!narrow) $("split").dataset.pane = "detail";
    });
    document.addEventListener("keydown", onKey);
    connectLive();
    document.body.dataset.ready = "true";
  }

  start();
})();
