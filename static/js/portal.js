// Small enhancements for Kundesenter. Every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the error summary so screen-reader and keyboard users hear
  // what to correct first.
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});

document.addEventListener("htmx:afterSwap", (event) => {
  // After the feedback box is swapped, move focus to its new heading so the
  // change is announced and keyboard users are not dropped to the top.
  const target = event.detail && event.detail.target;
  if (target && target.id === "feedback") {
    const heading = document.getElementById("feedback-heading");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }
});

// Forms marked data-submit-once disable their submit button after the first
// submit, so a double click sends one request. (The server makes a second
// submission harmless anyway, with the form's one-time key.)
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-submit-once")) {
    return;
  }
  if (form.dataset.submitted === "true") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "true";
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.setAttribute("aria-disabled", "true");
  }
});
