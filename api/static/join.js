"use strict";

// Joining without a login: accept an invitation (the link is /join#invite=fpi_…, the token never
// reaches a server log because it is in the fragment) or, for a creator without an agency, create an
// account that owns an agency of one. Both sign in and go to the chat.
(function () {
  const $ = (id) => document.getElementById(id);
  const token = new URLSearchParams(window.location.hash.slice(1)).get("invite");

  function showError(box, message, field) {
    box.textContent = message;
    box.hidden = false;
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  }

  async function submit(form, button, label, path, body, errorBox) {
    errorBox.hidden = true;
    button.disabled = true;
    button.textContent = "One moment…";
    try {
      await window.ui.api(path, { method: "POST", body, quiet: true, signInOn401: false });
      history.replaceState(null, "", "/join");
      window.location.replace("/chat");
    } catch (failure) {
      showError(errorBox, failure.message, null);
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("input", (event) => event.target.removeAttribute("aria-invalid"));
  }

  if (token) {
    $("invite").hidden = false;
    $("signup").hidden = true;
    $("invite-password").focus();
    $("invite-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const password = $("invite-password");
      if (password.value.length < 10) return showError($("invite-error"), "Use at least 10 characters.", password);
      const body = { token, password: password.value };
      if ($("invite-name").value.trim()) body.display_name = $("invite-name").value.trim();
      return submit($("invite-form"), $("invite-submit"), "Set password and sign in", "/api/auth/invite/accept", body, $("invite-error"));
    });
    return;
  }

  $("signup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = $("signup-form");
    const box = $("signup-error");
    for (const field of ["signup-creator", "signup-handle", "signup-name", "signup-email"]) {
      if (!$(field).value.trim()) return showError(box, "Fill in every field.", $(field));
    }
    if (!/^@?[A-Za-z0-9_.-]+$/.test($("signup-handle").value.trim())) {
      return showError(box, "A handle has only letters, digits, dots, dashes and underscores.", $("signup-handle"));
    }
    if ($("signup-password").value.length < 10) return showError(box, "Use at least 10 characters.", $("signup-password"));
    const body = {
      creator_name: $("signup-creator").value.trim(),
      handle: $("signup-handle").value.trim(),
      display_name: $("signup-name").value.trim(),
      email: $("signup-email").value.trim(),
      password: $("signup-password").value,
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    };
    return submit(form, $("signup-submit"), "Create account", "/api/auth/signup", body, box);
  });
})();
