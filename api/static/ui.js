"use strict";

// What every Fanpilot page shares (docs/ui.md): DOM building, money and time formatting, the
// screen-reader live regions (announce), visible toasts, the API fetch wrapper (session cookie, CSRF
// header, error JSON turned into a readable message) and the app header (nav, account menu).
// Load it before the page's own script: <script src="/static/ui.js" defer></script>.
window.ui = (function () {
  const session = { me: null };

  // ------------------------------------------------------------------ DOM

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

  // ------------------------------------------------------------------ formatting

  // Prices are USD (the platforms bill in dollars); one locale keeps "$25.00" the same for everyone.
  const moneyFormats = new Map();
  function money(value, currency = "USD") {
    if (value === null || value === undefined || value === "") return "—";
    const number = Number(value);
    if (!Number.isFinite(number)) return "—";
    if (!moneyFormats.has(currency)) {
      moneyFormats.set(currency, new Intl.NumberFormat("en-US", { style: "currency", currency }));
    }
    return moneyFormats.get(currency).format(number);
  }

  // Server-made sentences carry raw amounts ("$25.0"); show them as currency. Only for text the system
  // wrote (previews of offers, guardrail messages), never a draft a person will send.
  function moneyIn(text) {
    return String(text ?? "").replace(/\$((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)/g, (_, amount) =>
      money(amount.replaceAll(",", "")),
    );
  }

  function time(iso) {
    if (!iso) return "—";
    return new Date(iso).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  function date(iso) {
    if (!iso) return "—";
    return new Date(iso).toLocaleDateString(undefined, { month: "short", day: "numeric", year: "numeric" });
  }

  function waited(seconds) {
    if (seconds < 60) return "just now";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes}m`;
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return `${hours}h ${minutes % 60}m`;
    return `${Math.floor(hours / 24)}d ${hours % 24}h`;
  }

  function waitedInWords(seconds) {
    if (seconds < 60) return "less than a minute";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return `${hours} hour${hours === 1 ? "" : "s"} ${minutes % 60} min`;
    const days = Math.floor(hours / 24);
    return `${days} day${days === 1 ? "" : "s"} ${hours % 24} h`;
  }

  function initials(name) {
    return (name || "?")
      .split(/\s+/)
      .filter(Boolean)
      .map((part) => part[0])
      .join("")
      .slice(0, 2)
      .toUpperCase();
  }

  // ------------------------------------------------------------------ announcements

  function liveRegion(id, politeness) {
    let node = document.getElementById(id);
    if (!node) {
      node = el("div", { id, class: "sr-only", "aria-live": politeness, "aria-atomic": "true" });
      if (politeness === "assertive") node.setAttribute("role", "alert");
      else node.setAttribute("role", "status");
      document.body.append(node);
    }
    return node;
  }

  // Tell screen-reader users what just happened. The text is replaced after a tick so the same
  // message twice in a row ("Sent to Mike") is read twice.
  function announce(message, { assertive = false } = {}) {
    const region = liveRegion(assertive ? "ui-alerts" : "ui-announcer", assertive ? "assertive" : "polite");
    region.textContent = "";
    window.setTimeout(() => {
      region.textContent = message;
    }, 60);
  }

  function toasts() {
    let node = document.getElementById("toasts");
    if (!node) {
      node = el("div", { id: "toasts", class: "toasts" });
      document.body.append(node);
    }
    // The live regions speak; the visible stack would otherwise be read a second time.
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  function toast(message, kind = "info") {
    const node = el("div", { class: `toast toast-${kind}` }, message);
    toasts().append(node);
    announce(message, { assertive: kind === "error" });
    window.setTimeout(() => node.remove(), kind === "error" ? 7000 : 3500);
    return node;
  }

  // ------------------------------------------------------------------ API

  class ApiError extends Error {
    constructor(message, { status = 0, code = null, body = null } = {}) {
      super(message);
      this.name = "ApiError";
      this.status = status;
      this.code = code;
      this.body = body;
    }
  }

  function sentence(text) {
    const trimmed = String(text).trim();
    if (!trimmed) return trimmed;
    const first = trimmed[0].toUpperCase() + trimmed.slice(1);
    return /[.!?…]$/.test(first) ? first : `${first}.`;
  }

  // {error, detail} from AppError handlers, {detail: [...]} from request validation, or nothing.
  function errorMessage(status, body) {
    if (status === 429) return "Too many attempts. Wait a few minutes and try again.";
    const detail = body && body.detail;
    if (typeof detail === "string" && detail) return moneyIn(sentence(detail));
    if (Array.isArray(detail) && detail.length) {
      const first = detail[0] || {};
      const field = Array.isArray(first.loc) ? first.loc.filter((p) => p !== "body").join(" ") : "";
      return sentence(field ? `${field}: ${first.msg || "invalid"}` : first.msg || "The request was not valid");
    }
    if (body && typeof body.error === "string" && body.error) {
      return sentence(body.error.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/_/g, " ").toLowerCase());
    }
    if (status >= 500) return "Fanpilot had a problem. Try again in a moment.";
    return `The request failed (${status}).`;
  }

  // fetch for the Fanpilot API. Sends the session cookie and, on writes, the CSRF header; a JSON
  // body is encoded. On failure it shows the error (toast + assertive announcement) unless
  // `quiet: true`, then throws an ApiError with `status` and `code`. A 401 sends the browser to the
  // sign-in page unless `signInOn401: false`.
  async function api(path, options = {}) {
    const { body, quiet = false, signInOn401 = true, headers: extraHeaders, ...rest } = options;
    const method = (rest.method || "GET").toUpperCase();
    const headers = { Accept: "application/json", ...(extraHeaders || {}) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && method !== "HEAD" && session.me && session.me.csrf_token) {
      headers["X-CSRF-Token"] = session.me.csrf_token;
    }
    let response;
    try {
      response = await fetch(path, {
        credentials: "same-origin",
        ...rest,
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_) {
      const error = new ApiError("Cannot reach Fanpilot. Check your connection and try again.");
      if (!quiet) toast(error.message, "error");
      throw error;
    }
    if (response.status === 401 && signInOn401) {
      window.location.replace("/login");
      throw new ApiError("Signed out.", { status: 401 });
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = new ApiError(errorMessage(response.status, data), {
        status: response.status,
        code: data && typeof data.error === "string" ? data.error : null,
        body: data,
      });
      if (!quiet) toast(error.message, "error");
      throw error;
    }
    return data;
  }

  // ------------------------------------------------------------------ the app header

  function closeMenus(except) {
    for (const menu of document.querySelectorAll("details.menu[open]")) if (menu !== except) menu.open = false;
  }

  function wireMenus() {
    document.addEventListener("click", (event) => {
      const inside = event.target instanceof Element ? event.target.closest("details.menu") : null;
      closeMenus(inside);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      const open = document.querySelector("details.menu[open]");
      if (!open) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      open.open = false;
      open.querySelector("summary").focus();
    }, true);
  }

  // Fill the header for the signed-in person and keep only the nav links their role may use.
  function mountHeader(me) {
    for (const node of document.querySelectorAll("[data-user-name]")) node.textContent = me.display_name;
    for (const node of document.querySelectorAll("[data-user-role]")) node.textContent = me.role;
    for (const node of document.querySelectorAll("[data-user-email]")) node.textContent = me.email;
    for (const node of document.querySelectorAll("[data-user-initials]")) node.textContent = initials(me.display_name);
    for (const link of document.querySelectorAll(".app-nav [data-roles]")) {
      const roles = link.dataset.roles.split(/\s+/);
      if (!roles.includes(me.role)) link.closest("li").remove();
    }
    const nav = document.querySelector(".app-nav");
    if (nav) nav.dataset.links = String(nav.querySelectorAll("a").length);
    for (const button of document.querySelectorAll("[data-sign-out]")) {
      button.addEventListener("click", async () => {
        await api("/api/auth/logout", { method: "POST", quiet: true }).catch(() => null);
        window.location.replace("/login");
      });
    }
  }

  // Every signed-in page starts here: who is signed in (or off to /login), the header filled in.
  async function startPage() {
    wireMenus();
    const me = await api("/api/auth/me", { quiet: true });
    session.me = me;
    mountHeader(me);
    return me;
  }

  // A compact screen (narrow, or a phone held sideways) shows one pane at a time: the list/detail
  // pattern in app.css, whose media query this must equal.
  const COMPACT = "(max-width: 759.98px), (max-height: 539.98px)";
  const narrow = window.matchMedia(COMPACT);

  return {
    session,
    el,
    money,
    moneyIn,
    time,
    date,
    waited,
    waitedInWords,
    initials,
    announce,
    toast,
    api,
    ApiError,
    errorMessage,
    startPage,
    isNarrow: () => narrow.matches,
    onNarrowChange: (callback) => narrow.addEventListener("change", () => callback(narrow.matches)),
  };
})();
