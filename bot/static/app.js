// The local web chat: renders the gateway's replies (text, buttons, files), polls for pushed
// messages (reminders, staff replies) and, for a staff session, the staff chat.
"use strict";

const log = document.getElementById("log");
const staffLog = document.getElementById("staff-log");
const staffPane = document.getElementById("staff");
const form = document.getElementById("composer");
const input = document.getElementById("text");
const fileInput = document.getElementById("file");
const roleSelect = document.getElementById("role");
const replying = document.getElementById("replying");
let replyTo = null;
let cursor = { next: 0, staff_next: 0 };
let pollGeneration = 0;

function bubble(list, cls, text) {
  const item = document.createElement("li");
  item.className = cls;
  const body = document.createElement("div");
  body.className = "bubble";
  body.textContent = text;
  item.appendChild(body);
  list.appendChild(item);
  list.scrollTop = list.scrollHeight;
  return item;
}

function addButtons(item, buttons, onPress) {
  const row = document.createElement("div");
  row.className = "buttons";
  for (const b of buttons) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = b.title;
    button.addEventListener("click", () => {
      // Like Telegram: a keyboard can be used once; the choice stays visible.
      row.querySelectorAll("button").forEach((x) => (x.disabled = true));
      button.classList.add("chosen");
      onPress(b);
    });
    row.appendChild(button);
  }
  item.appendChild(row);
}

function addFiles(item, documents) {
  for (const doc of documents || []) {
    const link = document.createElement("a");
    link.className = "file";
    link.href = doc.url;
    link.textContent = "📄 " + doc.filename;
    link.setAttribute("download", doc.filename);
    item.appendChild(link);
  }
}

function renderReply(reply, cls = "bot") {
  const item = bubble(log, cls, reply.text || "");
  if (reply.image) {
    const img = document.createElement("img");
    img.className = "reply-image";
    img.src = reply.image;
    img.alt = "";
    item.appendChild(img);
  }
  if (reply.document) addFiles(item, [reply.document]);
  addFiles(item, reply.documents);
  if (reply.buttons && reply.buttons.length) {
    addButtons(item, reply.buttons, (b) => send({ payload: b.payload }, b.title));
  }
}

function renderStaffAlert(alert) {
  const item = bubble(staffLog, "bot alert", alert.text);
  item.dataset.ref = alert.ref || "";
  if (alert.staff_buttons && alert.staff_buttons.length) {
    addButtons(item, alert.staff_buttons, (b) => {
      if (b.payload.startsWith("s:reply:")) {
        startReply(alert.ref);
        item.querySelectorAll("button").forEach((x) => (x.disabled = false));
      } else {
        send({ payload: b.payload }, b.title);
      }
    });
  }
}

function startReply(ref) {
  replyTo = ref;
  document.getElementById("replying-ref").textContent = "#" + ref;
  replying.hidden = false;
  input.focus();
}

document.getElementById("replying-cancel").addEventListener("click", () => {
  replyTo = null;
  replying.hidden = true;
});

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  // Errors come back as {"replies": [...]} too (a sentence to show); anything else is an outage.
  const data = await response.json().catch(() => null);
  if (data === null) throw new Error("HTTP " + response.status);
  return data;
}

async function send(body, shown) {
  if (shown !== undefined && body.text !== undefined) bubble(log, "me", shown);
  try {
    const answer = await post("/api/send", body);
    if (answer.error) bubble(log, "notice", answer.error);
    for (const reply of answer.replies || []) renderReply(reply);
  } catch (err) {
    bubble(log, "notice", "The chat server is not answering. Please try again shortly.");
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value;
  if (!text.trim()) return;
  input.value = "";
  const body = { text };
  if (replyTo) {
    body.reply_to = replyTo;
    replyTo = null;
    replying.hidden = true;
  }
  send(body, text);
});

fileInput.addEventListener("change", async () => {
  const file = fileInput.files[0];
  if (!file) return;
  bubble(log, "me", "📎 " + file.name);
  const data = new FormData();
  data.append("file", file);
  fileInput.value = "";
  try {
    const response = await fetch("/api/upload", { method: "POST", body: data });
    const answer = await response.json();
    if (answer.error) bubble(log, "notice", answer.error);
    for (const reply of answer.replies || []) renderReply(reply);
  } catch (err) {
    bubble(log, "notice", "The upload failed. Please try again.");
  }
});

async function poll(generation) {
  while (generation === pollGeneration) {
    try {
      const url = `/api/updates?after=${cursor.next}&staff_after=${cursor.staff_next}`;
      const response = await fetch(url, { credentials: "same-origin" });
      const data = await response.json();
      if (generation !== pollGeneration) return;
      for (const message of data.messages) renderReply(message);
      for (const alert of data.staff) renderStaffAlert(alert);
      cursor = { next: data.next, staff_next: data.staff_next };
    } catch (err) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

async function loadState(greet) {
  const state = await (await fetch("/api/state", { credentials: "same-origin" })).json();
  roleSelect.innerHTML = "";
  roleSelect.add(new Option("a patient", "patient"));
  roleSelect.add(new Option(state.role === "staff" ? `staff: ${state.name}` : "a staff member…", "staff"));
  roleSelect.value = state.role;
  staffPane.hidden = state.role !== "staff";
  cursor = { next: 0, staff_next: 0 };
  pollGeneration += 1;
  poll(pollGeneration);
  if (greet) send({ text: "/start" });
}

roleSelect.addEventListener("change", async () => {
  let body = { role: "patient" };
  if (roleSelect.value === "staff") {
    const id = window.prompt("Telegram id of the staff member to play (see `medsec staff list`):");
    if (!id) { roleSelect.value = "patient"; return; }
    body = { role: "staff", telegram_id: Number(id) };
  }
  const answer = await post("/api/role", body);
  if (answer.error) {
    bubble(log, "notice", answer.error);
    roleSelect.value = staffPane.hidden ? "patient" : "staff";
    return;
  }
  log.innerHTML = "";
  staffLog.innerHTML = "";
  await loadState(true);
});

loadState(true);
