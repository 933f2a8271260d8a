// The string catalogue: t("key") in scripts, data-i18n="key" (and -title, -placeholder) in markup.
const LANGS = ["en", "zh"];
let catalogue = {};
let current = "en";

export function lang() {
  return current;
}

export function preferredLang() {
  const saved = localStorage.getItem("shopfloor-lang");
  if (LANGS.includes(saved)) return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export async function setLang(code) {
  const next = LANGS.includes(code) ? code : "en";
  const r = await fetch(`/ui/i18n/${next}.json`, { credentials: "same-origin" });
  catalogue = await r.json();
  current = next;
  localStorage.setItem("shopfloor-lang", next);
  document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
  document.title = t("app.title");
  translate(document);
}

export function t(key, vars) {
  let s = catalogue[key];
  if (s === undefined) {
    console.error(`i18n: no string for ${key}`);
    return "";
  }
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

export function has(key) {
  return key in catalogue;
}

export function translate(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]"))
    el.placeholder = t(el.dataset.i18nPlaceholder);
}
