"use strict";

(function () {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  const submit = document.getElementById("login-submit");

  fetch("/api/auth/me", { credentials: "same-origin" }).then((r) => {
    if (r.ok) window.location.replace("/inbox");
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      const response = await fetch("/api/auth/login", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: form.email.value, password: form.password.value }),
      });
      if (response.ok) {
        window.location.replace("/inbox");
        return;
      }
      const body = await response.json().catch(() => ({}));
      error.textContent =
        response.status === 429
          ? "Too many attempts. Wait a few minutes and try again."
          : typeof body.detail === "string"
            ? body.detail[0].toUpperCase() + body.detail.slice(1) + "."
            : "Enter your email and password.";
      error.hidden = false;
      form.password.select();
    } catch (_) {
      error.textContent = "Cannot reach the server. Is Fanpilot running?";
      error.hidden = false;
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
})();
