// The staff's admin (templates/admin/base_site.html): names for the autocomplete boxes.
//
// Django's autocomplete fields are select2 comboboxes named by the text of their
// current choice, so an empty one has no accessible name (axe-core:
// aria-input-field-name). Each is named by its field's label as well, whenever
// select2 makes one (on page load, or in a row added to an inline formset).
'use strict';
{
    const labelOf = (select) => {
        const label = select.id && document.querySelector(`label[for="${select.id}"]`);
        if (!label) {
            return null;
        }
        if (!label.id) {
            label.id = `${select.id}-label`;
        }
        return label;
    };

    const alsoLabelledBy = (element, id) => {
        const current = (element.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean);
        if (!current.includes(id)) {
            element.setAttribute('aria-labelledby', [id, ...current].join(' '));
        }
    };

    const nameComboboxes = () => {
        document.querySelectorAll('.select2-container').forEach((container) => {
            const select = container.previousElementSibling;
            const label = select && labelOf(select);
            if (!label) {
                return;
            }
            container.querySelectorAll('[role="combobox"], [role="textbox"]').forEach(
                (element) => alsoLabelledBy(element, label.id)
            );
        });
    };

    new MutationObserver(nameComboboxes).observe(document.documentElement, {
        childList: true,
        subtree: true,
    });
}
