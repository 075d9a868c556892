"use strict";
// The status page.  It signs in with a token (the server keeps it in an
// HttpOnly cookie this script cannot read), then polls /page/data: every
// second while something replicates, every three seconds otherwise.
// Names, descriptions, tags and details come from users: they are only ever
// set as text (append, textContent), never parsed as HTML.

const FAST = 1000;
const SLOW = 3000;
let timer = null;
let signedIn = false;
let shown = ""; // the overview on screen, as the server sent it

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null)); // strings become text nodes
  return node;
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return (i ? n.toFixed(1) : String(n)) + " " + units[i];
}

function tags(t) {
  const keys = Object.keys(t || {}).sort();
  if (!keys.length) return null;
  return el("ul", { class: "tags" }, ...keys.map((k) => el("li", {}, k + " = " + t[k])));
}

function description(text) {
  return text ? el("p", { class: "description" }, text) : null;
}

function badge(state) {
  return el("span", { class: "badge state-" + state.toLowerCase() }, state);
}

function progress(r) {
  const bar = el("progress", { max: "100", "aria-label": r.region + " progress" });
  bar.value = r.progress;
  return el("span", { class: "progress" }, bar, el("span", { class: "percent" }, r.progress + "%"));
}

function regionRow(r) {
  const failed = r.failedReplicas ? " (" + r.failedReplicas + " failed)" : "";
  return el(
    "tr",
    { class: "region state-" + r.state.toLowerCase(), "data-region": r.region },
    el("td", { class: "name" }, r.region),
    el("td", { class: "state" }, r.state),
    el("td", {}, progress(r)),
    el("td", { class: "replicas" }, r.completedReplicas + "/" + r.replicas + failed),
    el("td", {}, r.replicaCount + " × " + r.storageAccountType),
    el("td", { class: "storage" }, bytes(r.storageBytes)),
    el("td", { class: "egress" }, bytes(r.egressBytes)),
    el("td", { class: "details" }, r.details),
  );
}

function version(v) {
  const head = ["Region", "State", "Progress", "Replicas", "Target", "Storage", "Egress", "Details"];
  const eol = v.endOfLifeDate ? " · end of life " + v.endOfLifeDate : "";
  return el(
    "div",
    { class: "version", "data-version": v.name },
    el("h4", {}, v.name + " ", badge(v.aggregatedState)),
    el(
      "p",
      { class: "meta" },
      "provisioning " + v.provisioningState + " · source " + v.location + " · size " + bytes(v.sizeBytes) + " · storage " +
        bytes(v.storageBytes) + " · egress " + bytes(v.egressBytes) + eol,
    ),
    el(
      "table",
      {},
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))),
      el("tbody", {}, ...v.regions.map(regionRow)),
    ),
  );
}

function definition(d) {
  return el(
    "article",
    { class: "definition", "data-definition": d.name },
    el("h3", {}, d.name),
    el("p", { class: "meta" }, [d.publisher, d.offer, d.sku].join(" / ") + " · " + d.osType +
      " " + d.osState),
    description(d.description),
    tags(d.tags),
    ...(d.versions.length ? d.versions.map(version) : [el("p", { class: "empty" }, "No versions.")]),
  );
}

function gallery(g) {
  return el(
    "section",
    { class: "gallery", "data-gallery": g.name, title: g.id },
    el("h2", {}, g.name),
    el(
      "p",
      { class: "meta" },
      "subscription " + g.subscription + " · resource group " + g.resourceGroup +
        " · home region " + g.location,
    ),
    description(g.description),
    tags(g.tags),
    ...(g.definitions.length
      ? g.definitions.map(definition)
      : [el("p", { class: "empty" }, "No image definitions.")]),
  );
}

function render(data) {
  $("principal").textContent = data.principal;
  const sections = data.galleries.length
    ? data.galleries.map(gallery)
    : [el("p", { class: "empty" }, "No galleries are visible to " + data.principal + ".")];
  $("galleries").replaceChildren(...sections);
}

function problem(text) {
  $("problem").textContent = text;
  $("problem").hidden = !text;
}

function showSignIn(text) {
  signedIn = false;
  shown = "";
  clearTimeout(timer);
  $("session").hidden = true;
  $("galleries").replaceChildren();
  problem("");
  $("signin").hidden = false;
  $("signin-error").textContent = text;
  $("token").focus();
}

async function message(response) {
  try {
    return (await response.json()).error.message;
  } catch {
    return "the service answered " + response.status;
  }
}

async function load() {
  clearTimeout(timer);
  if (document.hidden && signedIn) {
    timer = setTimeout(load, SLOW); // a tab nobody looks at asks for nothing
    return;
  }
  let response;
  try {
    response = await fetch("/page/data", { credentials: "same-origin", cache: "no-store" });
  } catch {
    problem("The service cannot be reached; trying again.");
    timer = setTimeout(load, SLOW);
    return;
  }
  if (response.status === 401) {
    const why = await message(response);
    showSignIn(signedIn ? "Signed out: " + why : "");
    return;
  }
  if (!response.ok) {
    problem(await message(response));
    timer = setTimeout(load, SLOW);
    return;
  }
  const text = await response.text();
  const data = JSON.parse(text);
  signedIn = true;
  $("signin").hidden = true;
  $("session").hidden = false;
  problem("");
  if (text !== shown) render(data); // unchanged: keep the DOM, and what a person selected in it
  shown = text;
  $("updated").textContent = "updated " + new Date().toLocaleTimeString();
  timer = setTimeout(load, data.busy ? FAST : SLOW);
}

async function post(path, body) {
  return fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function signIn(event) {
  event.preventDefault();
  const token = $("token").value;
  $("token").value = "";
  $("signin-error").textContent = "";
  let response;
  try {
    response = await post("/page/signin", { token });
  } catch {
    $("signin-error").textContent = "The service cannot be reached.";
    return;
  }
  if (!response.ok) {
    $("signin-error").textContent = await message(response);
    return;
  }
  await load();
}

async function signOut() {
  await post("/page/signout", {});
  showSignIn("");
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && signedIn) load();
  });
  load();
});
