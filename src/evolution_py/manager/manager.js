// evolution-py manager: plain JavaScript over the server's own API (no build step, no CDN).
// Every value from the server is put in the page as text (textContent), never as HTML.
"use strict";

const $ = (selector) => document.querySelector(selector);
const state = { key: sessionStorage.getItem("evolution-key") || "", timer: null, socket: null, instance: null };

function say(text, isError = false) {
  const status = $("#status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

async function api(method, path, body) {
  const options = { method, headers: { apikey: state.key } };
  if (body !== undefined) {
    options.headers["content-type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const answer = await fetch(path, options);
  const text = await answer.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!answer.ok) {
    const message = data && data.response ? data.response.message : data && data.error ? data.error : text;
    throw new Error(`${answer.status}: ${Array.isArray(message) ? message.flat().join("; ") : message}`);
  }
  return data;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function show(view) {
  for (const id of ["login-view", "list-view", "instance-view"]) $("#" + id).hidden = id !== view;
  $("#logout").hidden = view === "login-view";
}

function stopWatching() {
  clearInterval(state.timer);
  state.timer = null;
  if (state.socket) { state.socket.close(); state.socket = null; }
}

// --- log in -------------------------------------------------------------------------------------

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  state.key = $("#login-key").value.trim();
  try {
    await api("GET", "/instance/fetchInstances");
    sessionStorage.setItem("evolution-key", state.key);
    $("#login-key").value = "";
    location.hash = "#/";
    route();
  } catch (error) {
    say(`Log in refused (${error.message})`, true);
  }
});

$("#logout").addEventListener("click", () => {
  sessionStorage.removeItem("evolution-key");
  state.key = "";
  stopWatching();
  route();
});

// --- instance list ------------------------------------------------------------------------------

async function loadList() {
  const list = await api("GET", "/instance/fetchInstances");
  const items = list.map((row) =>
    element("li", {}, element("a", { href: `#/instance/${encodeURIComponent(row.name)}` },
      element("strong", { text: row.name }), " ",
      element("span", { class: `state ${row.connectionStatus}`, text: row.connectionStatus, "data-instance": row.name }),
      element("br"), element("small", { text: `${row.integration}${row.number ? " · " + row.number : ""}` }))));
  $("#instances").replaceChildren(...items);
  if (!items.length) $("#instances").append(element("li", { text: "No instance yet." }));
}

$("#c-integration").addEventListener("change", () => {
  for (const node of document.querySelectorAll("[data-for]")) node.hidden = node.dataset.for !== $("#c-integration").value;
});

$("#create-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { instanceName: form.get("instanceName"), integration: form.get("integration") };
  if (form.get("number")) body.number = form.get("number");
  if (form.get("token")) body.token = form.get("token");
  if (body.integration === "WHATSAPP-BAILEYS") body.qrcode = form.get("qrcode") === "on";
  try {
    await api("POST", "/instance/create", body);
    event.target.reset();
    say(`Instance ${body.instanceName} created`);
    location.hash = `#/instance/${encodeURIComponent(body.instanceName)}`;
  } catch (error) {
    say(`Not created: ${error.message}`, true);
  }
});

// --- one instance -------------------------------------------------------------------------------

async function refreshInstance(name) {
  const rows = await api("GET", `/instance/fetchInstances?instanceName=${encodeURIComponent(name)}`);
  const row = rows[0];
  const current = row.connectionStatus;
  $("#i-state").textContent = current;
  $("#i-state").className = `state ${current}`;
  $("#i-meta").textContent = `${row.integration}${row.ownerJid ? " · " + row.ownerJid : ""}${row.profileName ? " · " + row.profileName : ""}`;
  if (current === "open") $("#qr-box").hidden = true;
  return current;
}

async function showQr(name, number) {
  const path = `/instance/connect/${encodeURIComponent(name)}${number ? "?number=" + encodeURIComponent(number) : ""}`;
  const answer = await api("GET", path);
  if (answer && answer.instance && answer.instance.state === "open") {
    $("#qr-box").hidden = true;
    return;
  }
  $("#qr-box").hidden = false;
  if (answer.base64) $("#qr").src = answer.base64;
  $("#qr").hidden = !answer.base64;
  $("#pairing").textContent = answer.pairingCode || "—";
  $("#dial-error").textContent = answer.lastConnectionError ? `Last dial failed: ${answer.lastConnectionError}` : "";
}

async function openInstance(name) {
  state.instance = name;
  $("#i-title").textContent = name;
  $("#qr-box").hidden = true;
  show("instance-view");
  const current = await refreshInstance(name);
  if (current === "connecting") await showQr(name);
  // The QR code refreshes itself until the instance is open.
  state.timer = setInterval(async () => {
    try {
      const now = await refreshInstance(name);
      if (now === "connecting") await showQr(name);
    } catch (error) { say(error.message, true); }
  }, 3000);
  selectTab("send");
}

const actions = {
  connect: (name) => showQr(name),
  restart: (name) => api("POST", `/instance/restart/${encodeURIComponent(name)}`),
  logout: (name) => api("DELETE", `/instance/logout/${encodeURIComponent(name)}`),
  delete: async (name) => {
    if (!confirm(`Delete ${name}?`)) return;
    await api("DELETE", `/instance/delete/${encodeURIComponent(name)}`);
    location.hash = "#/";
  },
};

for (const button of document.querySelectorAll("[data-action]")) {
  button.addEventListener("click", async () => {
    try {
      await actions[button.dataset.action](state.instance);
      say(`${button.dataset.action}: done`);
      if (location.hash.startsWith("#/instance/")) await refreshInstance(state.instance);
    } catch (error) { say(`${button.dataset.action}: ${error.message}`, true); }
  });
}

$("#pair-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try { await showQr(state.instance, $("#pair-number").value.trim()); } catch (error) { say(error.message, true); }
});

// --- tabs ---------------------------------------------------------------------------------------

function field(label, input) {
  const id = `f-${input.name}`;
  input.id = id;
  if (input.type === "checkbox") return element("label", { class: "check", for: id }, input, " " + label);
  return [element("label", { for: id, text: label }), input];
}

function textInput(name, value, extra = {}) { return element("input", { name, value: value ?? "", ...extra }); }
function checkbox(name, checked) { return element("input", { type: "checkbox", name, checked: Boolean(checked) }); }
function eventsInput(events) {
  return element("textarea", { name: "events", text: (events || []).join(", "), placeholder: "MESSAGES_UPSERT, SEND_MESSAGE, CONNECTION_UPDATE" });
}
function eventsOf(form) { return form.get("events").split(/[\s,]+/).filter(Boolean); }

function configForm(fields, onSave, verb = "Save") {
  const form = element("form", {}, ...fields.flat(), element("button", { type: "submit", text: verb }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(`${verb}…`);
    try {
      const done = await onSave(new FormData(form), form);
      say(typeof done === "string" ? done : "Saved");
    } catch (error) { say(`Not done: ${error.message}`, true); }
  });
  return form;
}

const tabs = {
  async send(name) {
    return configForm([field("Number", textInput("number", "", { inputmode: "tel", required: true })),
      field("Text", element("textarea", { name: "text", required: true, text: "Hello from evolution-py" }))],
    async (form) => {
      const sent = await api("POST", `/message/sendText/${encodeURIComponent(name)}`, { number: form.get("number"), text: form.get("text") });
      return `Sent (${sent && sent.key ? sent.key.id : "ok"})`;
    }, "Send");
  },
  async events(name) {
    const log = element("ol", { id: "events-log", reversed: true, "aria-live": "polite" });
    const note = element("p", { text: "Connecting to the event stream…" });
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/ws?instance=${encodeURIComponent(name)}&apikey=${encodeURIComponent(state.key)}`;
    const socket = new WebSocket(url);
    state.socket = socket;
    socket.onopen = () => { note.textContent = "Listening (events reach this stream when the instance's Websocket is enabled)."; };
    socket.onclose = (event) => { if (state.socket === socket) note.textContent = `Stream closed (${event.code} ${event.reason || ""})`; };
    socket.onmessage = (message) => {
      let data;
      try { data = JSON.parse(message.data); } catch { data = { event: "?", data: message.data }; }
      log.prepend(element("li", {}, element("strong", { text: data.event }), " ", element("span", { text: JSON.stringify(data.data).slice(0, 400) })));
      while (log.children.length > 100) log.lastChild.remove();
    };
    return element("div", {}, note, log);
  },
  async webhook(name) {
    const row = (await api("GET", `/webhook/find/${encodeURIComponent(name)}`)) || {};
    return configForm([field("Enabled", checkbox("enabled", row.enabled)), field("URL", textInput("url", row.url, { type: "url" })),
      field("Events (empty: all)", eventsInput(row.events)), field("One URL per event (byEvents)", checkbox("byEvents", row.webhookByEvents)),
      field("Media as base64", checkbox("base64", row.webhookBase64))],
    (form) => api("POST", `/webhook/set/${encodeURIComponent(name)}`, { webhook: {
      enabled: form.get("enabled") === "on", url: form.get("url"), events: eventsOf(form),
      byEvents: form.get("byEvents") === "on", base64: form.get("base64") === "on", headers: row.headers || {} } }));
  },
  async websocket(name) { return sinkTab(name, "websocket"); },
  async rabbitmq(name) { return sinkTab(name, "rabbitmq"); },
  async settings(name) {
    const row = (await api("GET", `/settings/find/${encodeURIComponent(name)}`)) || {};
    const flags = ["rejectCall", "groupsIgnore", "alwaysOnline", "readMessages", "readStatus", "syncFullHistory"];
    return configForm([...flags.map((flag) => field(flag, checkbox(flag, row[flag]))), field("Message on a rejected call", textInput("msgCall", row.msgCall))],
      (form) => api("POST", `/settings/set/${encodeURIComponent(name)}`, Object.fromEntries([
        ...flags.map((flag) => [flag, form.get(flag) === "on"]), ["msgCall", form.get("msgCall") || ""]])));
  },
  async proxy(name) {
    const row = (await api("GET", `/proxy/find/${encodeURIComponent(name)}`)) || {};
    return configForm([field("Enabled", checkbox("enabled", row.enabled)), field("Host", textInput("host", row.host)),
      field("Port", textInput("port", row.port, { inputmode: "numeric" })), field("Protocol (http, https, socks4, socks5)", textInput("protocol", row.protocol || "http")),
      field("Username", textInput("username", row.username)), field("Password", textInput("password", "", { type: "password", autocomplete: "off" }))],
    (form) => api("POST", `/proxy/set/${encodeURIComponent(name)}`, Object.fromEntries(
      ["host", "port", "protocol", "username", "password"].map((key) => [key, form.get(key) || ""]).concat([["enabled", form.get("enabled") === "on"]]))));
  },
  async dead(name) {
    const page = await api("GET", `/events/dead/${encodeURIComponent(name)}`);
    const replay = async (body) => {
      try { const done = await api("POST", `/events/replay/${encodeURIComponent(name)}`, body); say(`Replayed ${done.replayed}`); selectTab("dead"); }
      catch (error) { say(`Not replayed: ${error.message}`, true); }
    };
    const rows = page.records.map((record) => element("tr", {},
      element("td", { text: record.event }), element("td", { text: record.sink }), element("td", { text: record.target }),
      element("td", { text: `${record.attempts} · ${record.lastError || ""}` }),
      element("td", {}, element("button", { type: "button", text: "Replay", "aria-label": `Replay ${record.event} ${record.id}`, onclick: () => replay({ ids: [record.id] }) }))));
    const table = element("table", {}, element("thead", {}, element("tr", {}, ...["Event", "Sink", "Target", "Attempts · error", ""].map((h) => element("th", { scope: "col", text: h })))),
      element("tbody", {}, ...rows));
    return element("div", {}, element("p", { text: `${page.total} dead letter(s)` }),
      page.total ? element("button", { type: "button", text: "Replay all", onclick: () => replay({ all: true }) }) : "", table);
  },
};

async function sinkTab(name, kind) {
  const row = (await api("GET", `/${kind}/find/${encodeURIComponent(name)}`)) || {};
  return configForm([field("Enabled", checkbox("enabled", row.enabled)), field("Events (empty: all)", eventsInput(row.events))],
    (form) => api("POST", `/${kind}/set/${encodeURIComponent(name)}`, { [kind]: { enabled: form.get("enabled") === "on", events: eventsOf(form) } }));
}

async function selectTab(tab) {
  if (state.socket) { state.socket.close(); state.socket = null; }
  for (const button of document.querySelectorAll("[data-tab]")) button.setAttribute("aria-pressed", String(button.dataset.tab === tab));
  try { $("#tab").replaceChildren(await tabs[tab](state.instance)); } catch (error) { $("#tab").replaceChildren(element("p", { class: "error", text: error.message })); }
}

for (const button of document.querySelectorAll("[data-tab]")) button.addEventListener("click", () => selectTab(button.dataset.tab));

// --- routing ------------------------------------------------------------------------------------

async function route() {
  stopWatching();
  if (!state.key) { show("login-view"); $("#login-key").focus(); return; }
  $("#who").textContent = "logged in";
  const match = location.hash.match(/^#\/instance\/(.+)$/);
  try {
    if (match) await openInstance(decodeURIComponent(match[1]));
    else {
      show("list-view");
      await loadList();
      state.timer = setInterval(() => loadList().catch((error) => say(error.message, true)), 5000);
    }
  } catch (error) {
    say(error.message, true);
    if (error.message.startsWith("401")) { sessionStorage.removeItem("evolution-key"); state.key = ""; show("login-view"); }
  }
}

window.addEventListener("hashchange", route);
document.addEventListener("DOMContentLoaded", route);
