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
