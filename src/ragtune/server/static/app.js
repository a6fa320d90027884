// ragtune's page: plain JavaScript, no build step. Everything shown comes from /api/status and the /v1 API.
"use strict";

const KEY_NAME = "ragtune-api-key";
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function headers(extra = {}) {
  const key = sessionStorage.getItem(KEY_NAME);
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

class NeedKey extends Error {}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) return body.error.message;
  } catch (_) { /* not JSON */ }
  return `${response.status} ${response.statusText}`;
}

async function getJSON(path) {
  const response = await fetch(path, { headers: headers() });
  if (response.status === 401) throw new NeedKey(await errorMessage(response));
  if (!response.ok) throw new Error(await errorMessage(response));
  return response.json();
}

// ------------------------------------------------------------------ status, models, key

function askForKey(message) {
  $("app").hidden = true;
  $("key-form").hidden = false;
  $("key-error").textContent = sessionStorage.getItem(KEY_NAME) ? message : "";
  $("kb").textContent = "";
  $("key").focus();
}

function showStatus(status, modelIds) {
  $("project").textContent = status.project;
  document.title = `ragtune: ${status.project}`;
  const kb = status.kb;
  $("kb").textContent = kb
    ? `knowledge base version ${kb.version}: ${kb.documents} documents, ${kb.chunks} chunks` +
      (kb.created ? ` (${kb.created})` : "")
    : "no knowledge base yet: run `ragtune ingest` first";
  $("kb").dataset.version = kb ? kb.version : "";
  const key = status.key; // a restricted key reads only some documents and gets no report link
  $("reader").hidden = !key || key.owner;
  $("reader").textContent = key && !key.owner ? `key ${key.name} reads: ${key.labels.join(", ")}` : "";
  const report = $("report-link");
  report.hidden = !status.report;
  if (status.report) report.textContent = `latest compare report (${status.report.run})`;

  const stale = new Map(status.models.map((m) => [m.id, m.stale || []]));
  const box = $("models");
  const picked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
  box.replaceChildren(el("legend", {}, "Variants"));
  const notes = $("stale");
  notes.replaceChildren();
  for (const id of modelIds) {
    const reasons = stale.get(id) || [];
    const checked = picked.size ? picked.has(id) : true;
    box.append(el("label", { class: reasons.length ? "stale" : null, title: reasons.join("\n") || null },
      el("input", { type: "checkbox", name: "model", value: id, checked }), ` ${id}`,
      reasons.length ? " (stale)" : null));
    for (const reason of reasons) notes.append(el("li", { class: "stale-reason" }, `${id} is stale: ${reason}`));
  }
  $("key-form").hidden = true;
  $("app").hidden = false;
}

async function load() {
  $("load-error").hidden = true;
  try {
    const [status, models] = await Promise.all([getJSON("/api/status"), getJSON("/v1/models")]);
    showStatus(status, models.data.map((m) => m.id));
  } catch (err) {
    if (err instanceof NeedKey) return askForKey(err.message);
    $("load-error").textContent = `could not load the project: ${err.message}`;
    $("load-error").hidden = false;
  }
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("key").value.trim();
  if (!key) return;
  sessionStorage.setItem(KEY_NAME, key);
  $("key").value = "";
  load();
});

// The report needs the key too when the server has one: fetch it and open it as a blob.
$("report-link").addEventListener("click", async (event) => {
  if (!sessionStorage.getItem(KEY_NAME)) return; // no key: the plain link works
  event.preventDefault();
  const win = window.open("", "_blank");
  const response = await fetch("/report", { headers: headers() });
  if (!response.ok) {
    if (win) win.close();
    alert(await errorMessage(response));
    return;
  }
  const url = URL.createObjectURL(new Blob([await response.text()], { type: "text/html" }));
  if (win) win.location = url; else window.location = url;
});

// ------------------------------------------------------------------ answers

function sourceLabel(s) {
  const where = [s.document, s.section, s.page ? `p. ${s.page}` : null].filter(Boolean).join(" › ");
  return `[${s.n}] ${where}`;
}

function renderAnswer(card, text, sources) {
  // The answer's text with its [n] markers as buttons that show source n.
  const target = card.querySelector(".text");
  const known = new Set(sources.map((s) => s.n));
  target.replaceChildren();
  let last = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    const n = Number(match[1]);
    if (!known.has(n)) continue;
    target.append(text.slice(last, match.index));
    target.append(el("button", { type: "button", class: "cite", "data-n": n, onclick: () => showSource(card, n) },
      match[0]));
    last = match.index + match[0].length;
  }
  target.append(text.slice(last));
}

function showSource(card, n) {
  const source = card.sources.find((s) => s.n === n);
  const panel = card.querySelector(".chunk");
  const buttons = card.querySelectorAll(".source");
  const open = panel.dataset.n === String(n) && !panel.hidden;
  buttons.forEach((b) => b.setAttribute("aria-expanded", String(!open && b.dataset.n === String(n))));
  if (open || !source) { panel.hidden = true; panel.dataset.n = ""; return; }
  panel.dataset.n = String(n);
  panel.replaceChildren(
    el("div", { class: "where" }, sourceLabel(source)),
    el("div", { class: "meta muted" }, `chunk ${source.chunk_id}` +
      (typeof source.score === "number" ? `, score ${source.score}` : "")),
    el("div", { class: "body" }, source.text));
  panel.hidden = false;
}

function showSources(card, extra) {
  card.sources = extra.sources || [];
  const cited = new Set(extra.cited || []);
  const list = card.querySelector(".sources");
  list.replaceChildren(...card.sources.map((s) => el("li", {},
    el("button", { type: "button", class: cited.has(s.n) ? "source cited" : "source", "data-n": s.n,
      "aria-expanded": "false", onclick: () => showSource(card, s.n) }, sourceLabel(s)))));
  const warnings = card.querySelector(".warnings");
  warnings.replaceChildren(...(extra.warnings || []).map((w) => el("li", {}, w)));
  showGrounding(card, extra.grounding);
}

function showGrounding(card, grounding) {
  // The grounding check: a badge when the answer is not supported by its sources, the reasons as its tooltip.
  const badge = card.querySelector(".grounding");
  const unsupported = Boolean(grounding && !grounding.supported);
  badge.hidden = !unsupported;
  card.dataset.grounding = grounding ? (unsupported ? "unsupported" : "supported") : "";
  if (!unsupported) return;
  const done = { abstained: " (abstained)", extracted: " (answered from the sources)" }[grounding.action] || "";
  badge.textContent = `unsupported${done}`;
  badge.title = (grounding.reasons || []).join("\n");
}

function setState(card, state, note) {
  card.dataset.state = state;
  card.querySelector(".state").textContent = note || state;
}

async function stream(card, model, question, maxTokens) {
  const body = { model, stream: true, messages: [{ role: "user", content: question }] };
  if (maxTokens > 0) body.max_tokens = maxTokens;
  const textNode = card.querySelector(".text");
  let text = "";
  let finish = null;
  let pieces = 0;
  try {
    const response = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
    });
    if (response.status === 401) { setState(card, "error", "API key refused"); askForKey(await errorMessage(response)); return; }
    if (!response.ok) throw new Error(await errorMessage(response));
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      const events = buffer.split(/\r?\n\r?\n/);
      buffer = done ? "" : events.pop();
      for (const event of events) {
        const data = event.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
        if (!data || data === "[DONE]") continue;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message);
        const choice = (chunk.choices || [])[0];
        if (choice && choice.delta && choice.delta.content) {
          text += choice.delta.content;
          textNode.textContent = text;
          card.dataset.pieces = String(++pieces);
        }
        if (choice && choice.finish_reason) finish = choice.finish_reason;
        if (chunk.ragtune) showSources(card, chunk.ragtune);
      }
      if (done) break;
    }
    renderAnswer(card, text, card.sources || []);
    setState(card, "done", finish === "length" ? "done (token limit)" : "done");
  } catch (err) {
    card.querySelector(".error").textContent = err.message;
    setState(card, "error");
  }
}

$("ask").addEventListener("submit", (event) => {
  event.preventDefault();
  const question = $("question").value.trim();
  const models = [...document.querySelectorAll("#models input:checked")].map((i) => i.value);
  if (!question) return;
  if (!models.length) { alert("Pick at least one variant."); return; }
  const maxTokens = Number($("max-tokens").value) || 0;
  const answers = $("answers");
  answers.replaceChildren();
  const submit = $("submit");
  submit.disabled = true;
  const runs = models.map((model) => {
    const card = el("article", { class: "answer", "data-model": model, "data-state": "streaming" },
      el("h2", {}, model, el("span", { class: "badge grounding", hidden: true }),
        el("span", { class: "state" }, "streaming")),
      el("div", { class: "text" }), el("p", { class: "error" }), el("ul", { class: "warnings" }),
      el("ol", { class: "sources" }), el("div", { class: "chunk", hidden: true }));
    card.sources = [];
    answers.append(card);
    return stream(card, model, question, maxTokens);
  });
  Promise.allSettled(runs).then(() => { submit.disabled = false; load(); });
});

load();
