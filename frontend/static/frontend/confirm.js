// An in-page confirmation (the native <dialog>: modal, focus kept inside, Escape cancels) instead of
// window.confirm, so that it reads in the page's language and screen readers announce it.
import { gettext } from "./i18n.js";
import { el } from "./live.js";

export function confirmDialog({ title, lines, confirm }) {
  const dialog = el("dialog", { class: "confirm", "aria-labelledby": "confirm-title" },
    el("h2", { id: "confirm-title" }, title),
    el("ul", {}, lines.map((line) => el("li", {}, line))),
  );
  return new Promise((resolve) => {
    const finish = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    dialog.append(el("div", { class: "buttons" },
      el("button", { type: "button", class: "secondary", onclick: () => finish(false) }, gettext("Cancel")),
      el("button", { type: "button", id: "confirm-ok", onclick: () => finish(true) }, confirm)));
    dialog.addEventListener("cancel", (e) => { e.preventDefault(); finish(false); });
    document.body.append(dialog);
    dialog.showModal();
  });
}
