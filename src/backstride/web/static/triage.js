// backstride triage form: once an answer makes triage an emergency, say so at the top at once,
// with a button to see the result now (the rest then count as "not sure", as in the CLI).
// The server decides, with the same rules as the result (POST /triage/check); without this
// script the form works the same, and the result page says it.
"use strict";

(function () {
  const form = document.querySelector("form[data-triage-form]");
  const notice = document.getElementById("emergency-notice");
  if (!form || !notice) {
    return;
  }
  const token = form.querySelector('input[name="csrf_token"]').value;
  let asked = 0;

  async function check() {
    const mine = ++asked;
    let reply;
    try {
      const response = await fetch("/triage/check", {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRF-Token": token, "Accept": "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) {
        return;
      }
      reply = await response.json();
    } catch (error) {
      return; // the full submit still gives the right result
    }
    if (mine !== asked) {
      return; // a later answer's check is on its way
    }
    notice.hidden = !reply.emergency;
  }

  form.addEventListener("change", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.type === "radio") {
      check();
    }
  });
  check();
})();
