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

  const codeField = document.getElementById("code-field");
  const enrol = document.getElementById("enrol");
  const enrolForm = document.getElementById("enrol-form");
  const enrolError = document.getElementById("enrol-error");

  // Owners and admins of an agency that requires two-factor sign-in set it up before anything else.
  async function startEnrolment(me) {
    window.ui.session.me = me;
    form.hidden = true;
    enrol.hidden = false;
    const setup = await window.ui.api("/api/auth/2fa/setup", { method: "POST" });
    document.getElementById("enrol-secret").textContent = setup.secret.replace(/(.{4})/g, "$1 ").trim();
    document.getElementById("enrol-link").href = setup.otpauth_uri;
    enrolForm.code.focus();
  }

  enrolForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    enrolError.hidden = true;
    try {
      const done = await window.ui.api("/api/auth/2fa/enable", {
        method: "POST",
        body: { code: enrolForm.code.value.trim() },
        quiet: true,
      });
      enrolForm.hidden = true;
      document.getElementById("enrol-codes").textContent = done.recovery_codes.join("\n");
      document.getElementById("enrol-done").hidden = false;
    } catch (failure) {
      enrolError.textContent = failure.message;
      enrolError.hidden = false;
      enrolForm.code.focus();
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!form.email.value.trim()) return showError("Enter your email.", form.email);
    if (!form.password.value) return showError("Enter your password.", form.password);
    submit.disabled = true;
    submit.textContent = "Signing in…";
    const body = { email: form.email.value.trim(), password: form.password.value };
    if (!codeField.hidden && form.totp_code.value.trim()) body.totp_code = form.totp_code.value.trim();
    try {
      const me = await window.ui.api("/api/auth/login", { method: "POST", body, quiet: true, signInOn401: false });
      if (me && me.two_factor_setup_required) return startEnrolment(me);
      window.location.replace("/inbox");
    } catch (failure) {
      if (failure.body && failure.body.error === "TwoFactorRequired") {
        codeField.hidden = false;
        return showError("Enter the code from your authenticator app.", form.totp_code);
      }
      showError(failure.message, failure.status === 401 ? (codeField.hidden ? form.password : form.totp_code) : null);
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
})();
