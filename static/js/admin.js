// The staff's admin (templates/admin/base_site.html).
//
// 1. Django's autocomplete fields are select2 comboboxes named by the text of their
//    current choice, so an empty one has no accessible name (axe-core:
//    aria-input-field-name). Each is named by its field's label as well, whenever
//    select2 makes one (on page load, or in a row added to an inline formset).
// 2. Django's yes/no icons have the English "True"/"False" as their text; they get
//    the page's words (meta tags written by the template in its language).
// 3. Chromium's PDF viewer takes the focus once it has loaded the signed copy shown
//    beside the rows a clerk keys in (.desk-scan), so what the clerk types next goes
//    into the viewer. The first time each viewer takes the focus, unless by Tab, it
//    goes back to the field the clerk was in (Chromium gives the page no sign of a
//    click inside the viewer: no pointer events, no :hover).
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

    const ICONS = {yes: 'admin-word-yes', no: 'admin-word-no', unknown: 'admin-word-unknown'};

    const nameIcons = () => {
        Object.entries(ICONS).forEach(([icon, meta]) => {
            const word = document.querySelector(`meta[name="${meta}"]`);
            if (!word) {
                return;
            }
            // Also when the static files' names carry a hash (icon-yes.1a2b3c.svg); not
            // the help texts' question marks, whose text is the help.
            const icons = `img:not(.help)[src*="/admin/img/icon-${icon}."]`;
            document.querySelectorAll(icons).forEach((img) => {
                if (img.alt !== word.content) {
                    img.alt = word.content;
                }
            });
        });
    };

    const nameAll = () => {
        nameComboboxes();
        nameIcons();
    };

    const keepFocusFromTheViewer = () => {
        const viewers = new Set(document.querySelectorAll('.desk-scan iframe'));
        if (!viewers.size) {
            return;
        }
        let field = null;
        let tabbed = false;
        document.addEventListener('keydown', (event) => {
            tabbed = event.key === 'Tab';
        }, true);
        document.addEventListener('focusin', (event) => {
            field = event.target;
            tabbed = false;
        });
        // A viewer takes the focus once, when it has loaded; later the clerk put it there.
        window.addEventListener('blur', () => {
            const byTab = tabbed;
            tabbed = false;
            setTimeout(() => {
                const viewer = document.activeElement;
                if (!viewers.delete(viewer)) {
                    return;
                }
                if (!byTab && field && document.contains(field)) {
                    field.focus();
                }
            });
        });
    };

    document.addEventListener('DOMContentLoaded', nameAll);
    document.addEventListener('DOMContentLoaded', keepFocusFromTheViewer);
    new MutationObserver(nameAll).observe(document.documentElement, {
        childList: true,
        subtree: true,
    });
}
