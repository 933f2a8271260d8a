// The app shell: session, language, navigation by URL fragment (#/page/arg), live stream.
import { ApiError, login, logout, session } from "./api.js";
import { failure, h } from "./fmt.js";
import { preferredLang, setLang, t, translate } from "./i18n.js";
import { startLive, stopLive } from "./live.js";
import * as alarms from "./page_alarms.js";
import * as equipment from "./page_equipment.js";
import * as assessment from "./page_assessment.js";
import * as line from "./page_line.js";
import * as maintenance from "./page_maintenance.js";
import * as orders from "./page_orders.js";
import * as overview from "./page_overview.js";
import * as quality from "./page_quality.js";
import * as schedules from "./page_schedules.js";
import * as energy from "./page_energy.js";

const PAGES = {
  overview: overview.render,
  line: line.render,
  equipment: equipment.render,
  orders: orders.render,
  quality: quality.render,
  energy: energy.render,
  alarms: alarms.render,
  schedules: schedules.render,
  maintenance: maintenance.render,
  assessment: assessment.render,
};

let me = null;
let cleanup = null;
let rendering = 0;

function route() {
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  return { name: PAGES[name] ? name : "overview", arg: rest.map(decodeURIComponent).join("/") };
}

function loginForm(view) {
  const user = h("input", { name: "username", autocomplete: "username", required: true });
  const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const msg = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "card login", id: "login" },
    h("h2", { "data-i18n": "login.title" }),
    h("label", {}, h("span", { "data-i18n": "login.username" }), user),
    h("label", {}, h("span", { "data-i18n": "login.password" }), pass),
    h("button", { type: "submit", "data-i18n": "login.submit" }),
    msg,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    msg.textContent = "";
    try {
      me = await login(user.value, pass.value);
      await show();
    } catch (e) {
      msg.textContent = e instanceof ApiError && e.status === 401 ? t("login.failed") : t("error.request", { code: e.code || "http" });
    }
  });
  view.replaceChildren(form);
  translate(form);
  user.focus();
}

async function show() {
  const view = document.getElementById("view");
  const ticket = ++rendering;
  if (cleanup) cleanup();
  cleanup = null;
  const signedIn = !!me;
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("logout").hidden = !signedIn;
  const who = document.getElementById("who");
  who.textContent = signedIn ? me.username : "";
  who.title = signedIn ? t("login.who", { user: me.username, role: t("role." + me.role) }) : "";
  if (!signedIn) {
    stopLive();
    loginForm(view);
    return;
  }
  startLive();
  const { name, arg } = route();
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("here", a.getAttribute("href") === `#/${name}`);
  view.replaceChildren(h("p", { class: "empty" }, t("app.loading")));
  try {
    const page = h("div", { class: "page", dataset: { page: name } });
    const done = await PAGES[name](page, arg);
    if (ticket !== rendering) {
      if (done) done();
      return;
    }
    cleanup = done || null;
    view.replaceChildren(page);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      me = null;
      return show();
    }
    view.replaceChildren(failure(e));
  }
}

async function boot() {
  const picker = document.getElementById("lang");
  await setLang(preferredLang());
  picker.value = document.documentElement.lang.startsWith("zh") ? "zh" : "en";
  picker.addEventListener("change", async () => {
    await setLang(picker.value);
    await show();
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await logout();
    me = null;
    await show();
  });
  window.addEventListener("hashchange", show);
  me = await session();
  await show();
  document.body.dataset.ready = "1";
}

boot();
