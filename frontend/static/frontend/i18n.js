// The scripts' one translation mechanism: Django's JavaScriptCatalog (/jsi18n/, loaded by base.html
// before any module), fed by the same gettext catalogues as the templates (locale/*/djangojs.po).
// Source strings are English; `manage.py makemessages -d djangojs` collects them.

const catalog = globalThis.django || {};

export const gettext = catalog.gettext || ((s) => s);
export const ngettext = catalog.ngettext || ((one, many, n) => (n === 1 ? one : many));
export const pgettext = catalog.pgettext || ((_context, s) => s);
// interpolate("%(name)s has the floor", { name }, true), as Django's own.
export const interpolate = catalog.interpolate || ((fmt, obj, named) => (named
  ? fmt.replace(/%\(\w+\)s/g, (m) => String(obj[m.slice(2, -2)]))
  : fmt.replace(/%s/g, () => String(obj.shift()))));

// The page's language as the server chose it (<html lang>), for Intl's dates and numbers.
export const language = document.documentElement.lang || "nb";
