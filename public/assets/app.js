// The self-service page. Talks only to /v1/me/* on this origin, with the session cookie.
"use strict";

const $ = (id) => document.getElementById(id);
let pendingDelete = null;
let lastCreated = null;

async function api(method, path, body) {
  const init = { method, headers: { accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    window.location.assign("/");
    throw new Error("Your session has ended. Sign in again.");
  }
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) {
    const error = new Error(data && data.error ? data.error.message : `Request failed (${response.status})`);
    error.code = data && data.error ? data.error.code : "http_" + response.status;
    throw error;
  }
  return data;
}

const PROTOCOLS = { imap: "IMAP", smtp: "SMTP", pop: "POP", eas: "Exchange ActiveSync", dav: "CalDAV/CardDAV" };
const UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];

/** "3 minutes ago", "yesterday", … ("Just now" under a minute). */
function relative(seconds) {
  const ago = Math.max(0, Date.now() / 1000 - seconds);
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (ago >= size) return format.format(-Math.floor(ago / size), unit);
  }
  return "Just now";
}

/** A time as the browser's locale writes it, or "Never". */
function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "Never";
}

const FAILURE_REASONS = {
  malformed_password: "not an app password",
  bad_checksum: "typo in the app password",
  unknown_password: "wrong app password",
  scope_denied: "not allowed for this protocol",
  expired: "app password expired",
  mfa_required: "multi-factor authentication is off",
};

/** What an audit event says, in words. */
function describe(event) {
  switch (event.event) {
    case "app_password.created": return "App password created";
    case "app_password.deleted": return "App password deleted";
    case "app_password.deleted_all": return `All app passwords deleted (${event.count ?? 0})`;
    case "user.password_changed":
      return event.count ? `Password changed: app passwords deleted (${event.count})` : "Password changed";
    case "mfa.enabled": return "Multi-factor authentication turned on";
    case "mfa.disabled": return "Multi-factor authentication turned off";
    case "login.succeeded": return "Signed in";
    case "login.failed": {
      const why = FAILURE_REASONS[event.reason] ?? event.reason ?? "failed";
      const times = event.count > 1 ? ` (${event.count} times)` : "";
      return `Sign-in failed: ${why}${times}`;
    }
    case "login.throttled": return "Sign-ins blocked for a minute after too many failures";
    default: return event.event;
  }
}

async function refreshActivity() {
  const data = await api("GET", "/v1/me/events");
  const body = $("activity").querySelector("tbody");
  body.replaceChildren();
  for (const event of data.events) {
    const row = document.createElement("tr");
    row.dataset.event = event.event;
    const cells = [
      ["When", when(event.at)],
      ["What", describe(event)],
      ["App password", event.app_password ? event.app_password.name : "—"],
      ["Protocol", event.protocol ? event.protocol.toUpperCase() : "—"],
      ["Address", event.remote_ip ?? "—"],
    ];
    for (const [label, text] of cells) {
      const cell = document.createElement("td");
      cell.dataset.label = label;
      cell.textContent = text;
      row.append(cell);
    }
    body.append(row);
  }
  $("activity").hidden = data.events.length === 0;
  $("no-activity").hidden = data.events.length !== 0;
}

/** The "Last used" cell: relative time (exact time on hover and focus) · protocol · address. */
function lastUsed(cell, entry) {
  if (!entry.last_used_at) {
    cell.textContent = "Never";
    return;
  }
  const exact = new Date(entry.last_used_at * 1000);
  const time = document.createElement("time");
  time.className = "when";
  time.tabIndex = 0;
  time.dateTime = exact.toISOString();
  time.dataset.exact = exact.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
  const text = relative(entry.last_used_at);
  time.textContent = text.charAt(0).toUpperCase() + text.slice(1);
  const hidden = document.createElement("span");
  hidden.className = "visually-hidden";
  hidden.textContent = ` (${time.dataset.exact})`;
  time.append(hidden);
  cell.append(time);
  const via = [PROTOCOLS[entry.last_used_protocol] || entry.last_used_protocol, entry.last_used_ip && `from ${entry.last_used_ip}`];
  for (const part of via.filter(Boolean)) {
    const span = document.createElement("span");
    span.className = "via";
    span.textContent = ` · ${part}`;
    cell.append(span);
  }
}

/** The "Created" cell: the date, with the exact time on hover. */
function created(cell, entry) {
  const at = new Date(entry.created_at * 1000);
  cell.textContent = at.toLocaleDateString(undefined, { dateStyle: "medium" });
  cell.title = at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** Page wording for codes whose API message is written for developers. */
const MESSAGES = {
  invalid_name: "Enter a name of 1 to 64 characters, such as the app or device that will use the password.",
};

/** Shows `error` in `element` (or hides it); `input`, when given, is marked invalid and described by it. */
function showError(element, error, input) {
  const message = error ? (MESSAGES[error.code] || error.message.charAt(0).toUpperCase() + error.message.slice(1)) : "";
  element.textContent = message;
  element.hidden = !error;
  if (input) {
    const hint = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== element.id);
    if (error) {
      input.setAttribute("aria-invalid", "true");
      hint.unshift(element.id);
    } else {
      input.removeAttribute("aria-invalid");
    }
    if (hint.length) input.setAttribute("aria-describedby", hint.join(" "));
    else input.removeAttribute("aria-describedby");
  }
}

/** Explains, next to Create, why it is disabled (or hides the explanation). */
function createNote(text) {
  const note = $("create-note");
  note.textContent = text;
  note.hidden = !text;
  if (text) $("create").setAttribute("aria-describedby", "create-note");
  else $("create").removeAttribute("aria-describedby");
}

async function refresh() {
  const data = await api("GET", "/v1/me/app-passwords");
  const body = $("list").querySelector("tbody");
  body.replaceChildren();
  for (const entry of data.app_passwords) {
    const row = document.createElement("tr");
    row.dataset.id = entry.id;
    const expires = entry.expired ? "Expired" : (entry.expires_at ? when(entry.expires_at) : "Never");
    const cells = [["Name", (c) => { c.textContent = entry.name; }], ["Created", (c) => created(c, entry)], ["Last used", (c) => lastUsed(c, entry)],
      ["Expires", (c) => { c.textContent = expires; }]];
    for (const [label, fill] of cells) {
      const cell = document.createElement("td");
      cell.dataset.label = label; // shown at phone width, where the table header is hidden
      fill(cell);
      row.append(cell);
    }
    const actions = document.createElement("td");
    actions.className = "actions";
    const del = document.createElement("button");
    del.type = "button";
    del.className = "secondary";
    del.textContent = "Delete";
    del.setAttribute("aria-label", `Delete ${entry.name}`);
    del.addEventListener("click", () => askDelete(entry));
    actions.append(del);
    row.append(actions);
    body.append(row);
  }
  $("count").textContent = `${data.count} of ${data.limit} app passwords`;
  $("list").hidden = data.count === 0;
  $("empty").hidden = data.count !== 0;
  $("delete-all").hidden = data.count === 0;
  $("delete-all").dataset.count = String(data.count);
  if (data.user) {
    $("user-name").textContent = data.user;
    $("result-user").textContent = data.user;
  }
  $("user-note").hidden = !data.user;
  $("result-user-note").hidden = !data.user;
  const create = $("create");
  if (!data.app_passwords_allowed) {
    create.disabled = true;
    createNote("An administrator has turned off app passwords: you can't create new ones. Existing app passwords keep working.");
  } else if (data.count >= data.limit) {
    create.disabled = true;
    createNote(`You have ${data.count} app passwords, the most allowed. Delete one you no longer use to create another.`);
  } else {
    create.disabled = false;
    createNote("");
  }
  await refreshActivity();
}

function openCreate() {
  showError($("error"), null);
  showError($("create-error"), null, $("name"));
  $("status").textContent = "";
  $("name").value = "";
  $("create-dialog").showModal();
  $("name").focus();
}

async function submitCreate(event) {
  event.preventDefault();
  const next = $("next");
  next.disabled = true;
  try {
    const created = await api("POST", "/v1/me/app-passwords", { name: $("name").value });
    $("create-dialog").close();
    lastCreated = created.display;
    $("result-name").textContent = created.name;
    $("new-password").textContent = created.display;
    $("copy-status").textContent = "";
    $("result-dialog").showModal();
    $("copy").focus();
    await refresh();
  } catch (error) {
    showError($("create-error"), error, $("name"));
    $("name").focus();
    // Another device reached the limit since the list was loaded: show it behind the dialog.
    if (error.code === "limit_reached") refresh().catch(() => {});
  } finally {
    next.disabled = false;
  }
}

async function copyPassword() {
  try {
    await navigator.clipboard.writeText(lastCreated);
    $("copy-status").textContent = "Copied to the clipboard.";
  } catch {
    $("copy-status").textContent = "Could not copy: select the password and copy it yourself.";
  }
}

function closeResult() {
  // The plaintext leaves the page for good.
  lastCreated = null;
  $("new-password").textContent = "";
  $("result-dialog").close();
  $("create").focus();
}

function askDelete(entry) {
  pendingDelete = entry;
  $("delete-name").textContent = entry.name;
  $("delete-dialog").showModal();
  $("delete-no").focus();
}

async function confirmDelete() {
  const entry = pendingDelete;
  pendingDelete = null;
  $("delete-dialog").close();
  try {
    await api("DELETE", `/v1/me/app-passwords/${encodeURIComponent(entry.id)}`);
    await refresh();
    // After the refresh, so the live region changes once and the confirmation stays.
    $("status").textContent = `Deleted ${entry.name}. Apps using it can no longer sign in.`;
  } catch (error) {
    showError($("error"), error);
  }
  $("create").focus();
}

function askDeleteAll() {
  const count = Number($("delete-all").dataset.count);
  $("delete-all-text").textContent = count === 1
    ? "Your 1 app password will be deleted. Apps using it will stop signing in."
    : `All ${count} of your app passwords will be deleted. Apps using them will stop signing in.`;
  $("delete-all-dialog").showModal();
  $("delete-all-no").focus();
}

async function confirmDeleteAll() {
  $("delete-all-dialog").close();
  try {
    const { deleted } = await api("DELETE", "/v1/me/app-passwords");
    await refresh(); // first: it resets the status line
    $("status").textContent = `Deleted ${deleted} app password${deleted === 1 ? "" : "s"}.`;
  } catch (error) {
    showError($("error"), error);
  }
  $("create").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  // The page that shows the first app password after MFA registration: only Copy.
  if ($("first-password")) {
    lastCreated = $("first-password").textContent;
    $("copy").addEventListener("click", copyPassword);
    return;
  }
  if (!$("create")) return; // a sign-in or message page
  $("create").addEventListener("click", openCreate);
  $("create-form").addEventListener("submit", submitCreate);
  $("create-cancel").addEventListener("click", () => $("create-dialog").close());
  $("copy").addEventListener("click", copyPassword);
  $("close").addEventListener("click", closeResult);
  $("result-dialog").addEventListener("cancel", (e) => { e.preventDefault(); closeResult(); });
  $("delete-yes").addEventListener("click", confirmDelete);
  $("delete-no").addEventListener("click", () => { pendingDelete = null; $("delete-dialog").close(); });
  $("delete-all").addEventListener("click", askDeleteAll);
  $("delete-all-yes").addEventListener("click", confirmDeleteAll);
  $("delete-all-no").addEventListener("click", () => $("delete-all-dialog").close());
  refresh().catch((error) => showError($("error"), error));
});
