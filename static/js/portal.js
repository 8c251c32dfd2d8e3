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

// A form whose answer replaces the part of the page it sits in (the columns
// chooser on the case list) names, in data-return-focus, the control that
// opened it: focus goes back there instead of falling to the top of the page.
document.addEventListener("htmx:afterSettle", (event) => {
  const config = event.detail && event.detail.requestConfig;
  const source = config && config.elt;
  const id = source && source.dataset ? source.dataset.returnFocus : "";
  const control = id ? document.getElementById(id) : null;
  if (control) {
    control.focus();
  }
});

// htmx leaves a page as it was on an error answer. The feedback box's "too
// many answers" (429) is an answer to show, in place of the box.
document.addEventListener("htmx:beforeSwap", (event) => {
  const detail = event.detail;
  if (detail && detail.xhr.status === 429 && detail.target && detail.target.id === "feedback") {
    detail.shouldSwap = true;
    detail.isError = false;
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

// A search box for long lists of choices (the login page's organisations).
// The list stays a native <select> with its button: without this file it works
// just the same, only without the search box. Typing narrows the options and
// picks the first match; a status line tells screen readers how many match.
document.addEventListener("DOMContentLoaded", () => {
  const fold = (text) => text.toLocaleLowerCase("nb").trim();
  for (const container of document.querySelectorAll("[data-searchable-select]")) {
    const select = container.querySelector("select");
    if (!select || !select.id) {
      continue;
    }
    const field = document.createElement("div");
    field.className = "ds-field";
    const label = document.createElement("label");
    label.className = "ds-label";
    label.htmlFor = `${select.id}-search`;
    label.textContent = container.dataset.searchLabel || "";
    const input = document.createElement("input");
    input.type = "search";
    input.id = `${select.id}-search`;
    input.className = "ds-input";
    input.autocomplete = "off";
    input.setAttribute("aria-controls", select.id);
    input.setAttribute("aria-describedby", `${select.id}-search-status`);
    const status = document.createElement("p");
    status.id = `${select.id}-search-status`;
    status.className = "ds-paragraph search-status";
    status.dataset.size = "sm";
    status.setAttribute("role", "status");
    field.append(label, input, status);
    const selectField = select.closest(".ds-field") || select;
    selectField.before(field);

    input.addEventListener("input", () => {
      const needle = fold(input.value);
      let matches = 0;
      let first = null;
      for (const option of select.options) {
        if (!option.value) {
          continue;
        }
        const shown = !needle || fold(option.text).includes(needle);
        option.hidden = !shown;
        option.disabled = !shown;
        if (shown) {
          matches += 1;
          first = first || option;
        }
      }
      const current = select.selectedOptions[0];
      if (needle && first && (!current || !current.value || current.disabled)) {
        select.value = first.value;
      } else if (current && current.disabled) {
        select.value = "";
      }
      status.textContent = needle ? `${container.dataset.statusLabel || ""} ${matches}` : "";
    });
  }
});
