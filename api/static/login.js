"use strict";

(function () {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  const submit = document.getElementById("login-submit");

  window.ui
    .api("/api/auth/me", { quiet: true, signInOn401: false })
    .then(() => window.location.replace("/inbox"))
    .catch(() => null);

  function showError(message, field) {
    error.textContent = message;
    error.hidden = false;
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
      field.select();
    }
  }

  form.addEventListener("input", (event) => event.target.removeAttribute("aria-invalid"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!form.email.value.trim()) return showError("Enter your email.", form.email);
    if (!form.password.value) return showError("Enter your password.", form.password);
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      await window.ui.api("/api/auth/login", {
        method: "POST",
        body: { email: form.email.value.trim(), password: form.password.value },
        quiet: true,
        signInOn401: false,
      });
      window.location.replace("/inbox");
    } catch (failure) {
      showError(failure.message, failure.status === 401 ? form.password : null);
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
})();
