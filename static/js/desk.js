// The support desk's keyboard shortcuts and answer templates. Everything here also
// works without JavaScript: the skip link, the "Insert template" button, the buttons.
(function () {
  "use strict";
  const form = document.querySelector("[data-desk-answer]");
  const box = document.getElementById("id_body");
  const back = document.querySelector(".breadcrumbs a");

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
    if (event.code === "KeyS" && box) {
      event.preventDefault();
      box.focus();
    } else if (event.code === "KeyK" && back) {
      event.preventDefault();
      window.location.href = back.href;
    }
  });

  if (!form || !box) return;
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit(form.querySelector('button[value="svar"]'));
    }
  });

  const data = document.getElementById("desk-templates");
  const choice = form.querySelector('select[name="template"]');
  if (!data || !choice) return;
  const templates = JSON.parse(data.textContent);
  const insertButton = form.querySelector('button[value="mal"]');
  if (!insertButton) return;
  // The button inserts at the cursor without a page load; without JavaScript the
  // server puts the template after what was typed.
  insertButton.addEventListener("click", function (event) {
    const text = templates[choice.value];
    if (!text) return; // no choice: the server says which field to fill in
    event.preventDefault();
    const start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? start;
    box.setRangeText(text, start, end, "end");
    choice.value = "";
    box.focus();
  });
})();
