// The requests monitor page: plain JavaScript, no library, no build step.
// It reads the control plane with the admin token (kept in sessionStorage, so for
// this tab only), follows GET /_emulator/journal/live for new entries, and drives
// the clock, the resets and each vendor's panels through their control-plane routes.
"use strict";

const TOKEN_KEY = "vendor-emulator-admin-token";
const MAX_ROWS = 1000;
const state = {
  entries: [], // newest first
  seen: new Set(),
  paused: false,
  pending: [],
  selected: null,
  clock: null, // {now: ms since epoch, frozen, fetchedAt}
};

const $ = (selector, root = document) => root.querySelector(selector);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
};

// ---- the admin token and control-plane calls ----

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function headers(extra = {}) {
  const all = { ...extra };
  if (token()) all.Authorization = "Bearer " + token();
  return all;
}

class Refused extends Error {}

async function call(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (response.status === 401 && document.body.dataset.tokenRequired === "true") {
    askForToken(true);
    throw new Refused("admin token refused");
  }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = text; }
  if (!response.ok) {
    const message = json && json.error ? json.error : `${response.status} ${text}`;
    throw new Error(`${method} ${path}: ${message}`);
  }
  return json;
}

function askForToken(refused) {
  sessionStorage.removeItem(TOKEN_KEY);
  $("#monitor").hidden = true;
  $("#token-form").hidden = false;
  $("#token-error").hidden = !refused;
  $("#token").focus();
}

function showError(error) {
  if (error instanceof Refused) return;
  const box = $("#action-error");
  box.textContent = String(error.message || error);
  box.hidden = false;
  setTimeout(() => { box.hidden = true; }, 8000);
}

// ---- the request list ----

const time = (at) => {
  const date = new Date(at);
  return isNaN(date) ? at : date.toISOString().slice(11, 23);
};
const duration = (us) => (us >= 1000 ? (us / 1000).toFixed(1) + " ms" : us + " µs");
const reason = (entry) => {
  if (entry.explain) return entry.explain;
  const failed = (entry.decision || []).find((step) => step.outcome === "fail");
  return failed ? `${failed.step}; ${failed.detail.split("\n")[0]}` : "";
};
const refused = (entry) => entry.status >= 400 || !!entry.explain;

function visible(entry) {
  const vendor = $("#filter-vendor").value;
  const status = $("#filter-status").value;
  if (vendor && entry.vendor !== vendor) return false;
  if (status && String(entry.status)[0] !== status) return false;
  if ($("#filter-refusals").checked && !refused(entry)) return false;
  return true;
}

function row(entry) {
  const statusClass = "status s" + String(entry.status)[0];
  return el("tr", { "data-id": entry.id, class: entry.id === state.selected ? "selected" : "", onclick: () => openEntry(entry.id) },
    el("td", { class: "mono" }, time(entry.at)),
    el("td", {}, entry.vendor || ""),
    el("td", { class: "mono" }, entry.method),
    el("td", { class: "mono path", title: entry.path + (entry.query ? "?" + entry.query : "") }, entry.path),
    el("td", { class: statusClass }, entry.status),
    el("td", { class: "mono" }, duration(entry.duration_us)),
    el("td", { class: "reason", title: reason(entry) }, reason(entry)));
}

function render() {
  const body = $("#entries tbody");
  const rows = state.entries.filter(visible).map(row);
  body.replaceChildren(...rows);
  $("#no-entries").hidden = rows.length > 0;
}

function add(entries) {
  let added = false;
  for (const entry of entries) {
    if (state.seen.has(entry.id)) continue;
    state.seen.add(entry.id);
    state.entries.unshift(entry);
    added = true;
  }
  if (!added) return;
  state.entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  while (state.entries.length > MAX_ROWS) state.seen.delete(state.entries.pop().id);
  render();
}

function receive(entry) {
  if (state.paused) {
    state.pending.push(entry);
    $("#paused-count").textContent = `${state.pending.length} new while paused`;
  } else {
    add([entry]);
  }
}

// ---- the live stream (fetch, so the admin token travels in a header) ----

async function follow() {
  const badge = $("#connection");
  for (;;) {
    try {
      const response = await fetch("/_emulator/journal/live", { headers: headers({ Accept: "text/event-stream" }) });
      if (response.status === 401) { askForToken(true); return; }
      if (!response.ok || !response.body) throw new Error("stream " + response.status);
      badge.textContent = "live";
      badge.className = "badge live";
      await backfill();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (error) {
      if (!(error instanceof Refused)) console.warn(error);
    }
    badge.textContent = "reconnecting…";
    badge.className = "badge down";
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function dispatch(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (event === "entry") receive(JSON.parse(data.join("\n")));
  else if (event === "missed") {
    const box = $("#missed");
    box.textContent = `This page fell behind and missed ${data.join("")} entries; they are still in the journal (reload to see them).`;
    box.hidden = false;
  }
}

async function backfill() {
  const page = await call("GET", "/_emulator/journal?limit=200");
  add(page.entries);
}

// ---- one entry ----

async function openEntry(id) {
  state.selected = id;
  for (const tr of document.querySelectorAll("#entries tbody tr")) tr.classList.toggle("selected", tr.dataset.id === id);
  let entry = state.entries.find((e) => e.id === id);
  try {
    entry = await call("GET", "/_emulator/journal/" + encodeURIComponent(id));
  } catch (error) {
    if (!entry) return showError(error);
  }
  const pane = $("#detail");
  pane.hidden = false;
  pane.replaceChildren(
    el("div", { class: "detail-head" },
      el("h3", {}, `${entry.method} ${entry.path}${entry.query ? "?" + entry.query : ""}`),
      el("button", { type: "button", onclick: () => { pane.hidden = true; state.selected = null; render(); } }, "Close")),
    el("p", {},
      el("span", { class: "status s" + String(entry.status)[0] }, entry.status), " ",
      el("span", { class: "mono" }, entry.id), " · ", entry.vendor || "", " · ", entry.at, " · ", duration(entry.duration_us),
      entry.route ? el("span", { class: "muted" }, " · route ", el("code", {}, entry.route)) : null,
      entry.account ? el("span", { class: "muted" }, " · account ", el("code", {}, entry.account)) : null,
      entry.client_ip ? el("span", { class: "muted" }, " · from ", el("code", {}, entry.client_ip)) : null),
    entry.explain ? el("p", { class: "explain" }, el("strong", {}, "Why refused: "), entry.explain) : null,
    el("h4", {}, "Decision trail"),
    (entry.decision || []).length
      ? el("ol", { class: "trail" }, entry.decision.map(step))
      : el("p", { class: "muted" }, "No decision steps were recorded for this request."),
    el("h4", {}, "Request headers"),
    el("table", { class: "headers" }, (entry.headers || []).map((h) =>
      el("tr", {}, el("th", { class: "mono" }, h.name), el("td", { class: "mono" }, h.value)))));
}

function step(s) {
  return el("li", { class: "step " + s.outcome },
    el("span", { class: "outcome" }, s.outcome === "pass" ? "pass" : "fail"), " ",
    el("strong", {}, s.step),
    s.compared ? compared(s.compared) : null,
    el("pre", { class: "step-detail" }, s.detail));
}

// Expected beside received, with the characters that differ marked.
function compared(pair) {
  const [expected, received] = diff(pair.expected, pair.received);
  return el("div", { class: "compared" },
    el("div", {}, el("h5", {}, "Expected (what the emulator signed)"), el("pre", { class: "expected" }, expected)),
    el("div", {}, el("h5", {}, "Received (what your signature matches)"), el("pre", { class: "received" }, received)));
}

// A character diff (longest common subsequence; a common prefix and suffix beyond a size bound).
function diff(a, b) {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const midA = a.slice(start, a.length - end);
  const midB = b.slice(start, b.length - end);
  let marksA = [midA.length ? [midA, true] : null];
  let marksB = [midB.length ? [midB, true] : null];
  if (midA.length && midB.length && midA.length * midB.length <= 250000) [marksA, marksB] = lcs(midA, midB);
  const paint = (prefix, marks, suffix) => [prefix,
    ...marks.filter(Boolean).map(([text, changed]) => (changed ? el("mark", {}, text) : text)), suffix];
  return [paint(a.slice(0, start), marksA, a.slice(a.length - end)), paint(b.slice(0, start), marksB, b.slice(b.length - end))];
}

function lcs(a, b) {
  const n = a.length, m = b.length;
  const table = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
  const outA = [], outB = [];
  const push = (out, ch, changed) => {
    const last = out[out.length - 1];
    if (last && last[1] === changed) last[0] += ch; else out.push([ch, changed]);
  };
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { push(outA, a[i++], false); push(outB, b[j++], false); }
    else if (table[i + 1][j] >= table[i][j + 1]) push(outA, a[i++], true);
    else push(outB, b[j++], true);
  }
  while (i < n) push(outA, a[i++], true);
  while (j < m) push(outB, b[j++], true);
  return [outA, outB];
}

// ---- the clock ----

async function loadClock(view) {
  const clock = view || (await call("GET", "/_emulator/clock"));
  state.clock = { now: Date.parse(clock.now), frozen: clock.frozen, fetchedAt: Date.now() };
  paintClock();
}

function paintClock() {
  if (!state.clock) return;
  const { now, frozen, fetchedAt } = state.clock;
  const shown = frozen ? now : now + (Date.now() - fetchedAt);
  $("#clock-now").textContent = new Date(shown).toISOString();
  const badge = $("#clock-state");
  badge.textContent = frozen ? "frozen" : "running";
  badge.className = "badge " + (frozen ? "frozen" : "live");
}

async function moveClock(command) {
  try {
    await loadClock(await call("POST", "/_emulator/clock", command));
    await loadPanels();
  } catch (error) {
    showError(error);
  }
}

// ---- the vendors' panels ----

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    const area = el("textarea", {}, text);
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  if (button) {
    const label = button.textContent;
    button.textContent = "copied";
    setTimeout(() => { button.textContent = label; }, 1200);
  }
}

const copyButton = (text) => el("button", { type: "button", class: "copy", onclick: (e) => copy(text, e.target) }, "copy");

// Any JSON as nested lists; every string and number can be copied.
function tree(value) {
  if (Array.isArray(value)) {
    if (!value.length) return el("span", { class: "muted" }, "none");
    return el("ol", { class: "tree" }, value.map((item) => el("li", {}, tree(item))));
  }
  if (value && typeof value === "object") {
    return el("dl", { class: "tree" }, Object.entries(value).map(([name, inner]) => [el("dt", {}, name), el("dd", {}, tree(inner))]));
  }
  if (value === null) return el("span", { class: "muted" }, "null");
  const text = String(value);
  return el("span", { class: "leaf" }, el("code", {}, text), typeof value === "string" && text ? copyButton(text) : null);
}

function actionButton(vendor, action, section) {
  return el("button", {
    type: "button",
    class: "action",
    onclick: async () => {
      if (action.confirm && !confirm(`${action.label}?`)) return;
      try {
        const answer = await call(action.method, `/_emulator/${vendor}${action.path}`, action.body === null ? undefined : action.body);
        const result = $(".result", section);
        result.replaceChildren(
          el("h4", {}, `${action.label}: done`),
          answer === null ? el("p", { class: "muted" }, "No content.") : tree(answer));
        result.hidden = false;
        await loadPanels();
      } catch (error) {
        showError(error);
      }
    },
  }, action.label);
}

function paintVendor(panel) {
  const section = $(`section.vendor[data-vendor="${panel.vendor}"]`);
  if (!section) return;
  $(".credentials .body", section).replaceChildren(tree(panel.credentials));
  $(".examples .body", section).replaceChildren(...(panel.examples.length
    ? panel.examples.map((example) => el("div", { class: "example" },
      el("p", {}, example.label, " ", copyButton(example.command)),
      el("pre", { class: "command" }, example.command)))
    : [el("p", { class: "muted" }, "No ready-made request.")]));
  $(".tables", section).replaceChildren(...panel.tables.map((table) => el("div", { class: "panel-table" },
    el("h3", {}, table.title, " ", table.create ? actionButton(panel.vendor, table.create, section) : null),
    table.rows.length
      ? el("table", {},
        el("thead", {}, el("tr", {}, table.columns.map((c) => el("th", {}, c)), el("th", {}, ""))),
        el("tbody", {}, table.rows.map((r) => el("tr", {},
          r.cells.map((cell) => el("td", { class: "mono" }, cell)),
          el("td", {}, r.actions.map((a) => actionButton(panel.vendor, a, section)))))))
      : el("p", { class: "muted" }, table.empty))));
}

async function loadPanels() {
  const all = await call("GET", "/_emulator/ui/panels");
  all.vendors.forEach(paintVendor);
}

// ---- wiring ----

function wire() {
  for (const id of ["#filter-vendor", "#filter-status", "#filter-refusals"]) $(id).addEventListener("change", render);
  $("#pause").addEventListener("click", () => {
    state.paused = !state.paused;
    $("#pause").textContent = state.paused ? "Resume" : "Pause";
    if (!state.paused) {
      add(state.pending.splice(0));
      $("#paused-count").textContent = "";
    }
  });
  $("#clear").addEventListener("click", async () => {
    if (!confirm($("#clear").dataset.confirm)) return;
    try {
      await call("DELETE", "/_emulator/journal");
      state.entries = [];
      state.seen.clear();
      state.pending = [];
      $("#detail").hidden = true;
      $("#missed").hidden = true;
      render();
    } catch (error) { showError(error); }
  });
  $("#clock-freeze").addEventListener("click", () => moveClock({ freeze: true }));
  $("#clock-resume").addEventListener("click", () => moveClock({ resume: true }));
  $("#clock-advance").addEventListener("click", () =>
    moveClock({ advance_seconds: Number($("#advance-amount").value) * Number($("#advance-unit").value) }));
  $("#clock-set").addEventListener("click", () => moveClock({ set: $("#set-at").value.trim() }));
  const reset = async (path, question) => {
    if (!confirm(question)) return;
    try {
      await call("POST", path);
      await loadPanels();
    } catch (error) { showError(error); }
  };
  $("#reset-all").addEventListener("click", (e) => reset("/_emulator/reset", e.target.dataset.confirm));
  for (const button of document.querySelectorAll("button.reset"))
    button.addEventListener("click", () => reset("/_emulator/reset/" + button.dataset.vendor, button.dataset.confirm));
  $("#token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("#token").value);
    start();
  });
  setInterval(paintClock, 250);
  setInterval(() => { if (!$("#monitor").hidden) loadClock().catch(() => {}); }, 5000);
}

let following = false;
async function start() {
  if (document.body.dataset.tokenRequired === "true" && !token()) return askForToken(false);
  try {
    await loadClock();
  } catch (error) {
    return showError(error);
  }
  $("#token-form").hidden = true;
  $("#monitor").hidden = false;
  loadPanels().catch(showError);
  if (!following) {
    following = true;
    follow().finally(() => { following = false; });
  }
}

wire();
start();
