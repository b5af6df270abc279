// imgpipe results page: the key line, the drop zone, the "open a job" field, the job cards and the key's recent jobs.
// Plain JS modules, no build step. Everything shown comes from the public API (client.js); a card's life is in
// jobs.js, its results in render.js, the list of the key's jobs in recent.js, deleting a job in deletion.js.
import { $, api, apiKey, humanBytes, onReachability } from "./client.js";
import { reopen, submit } from "./jobs.js";
import { clearRecent, listRecent, wireRecent } from "./recent.js";
import { chosenRecipe, offerPresets } from "./recipes.js";

const KEY_STORAGE = "imgpipe.apiKey";
const state = { limits: null, reachable: true };

function setKeyStatus(text, kind) {
  const status = $("#key-status");
  status.textContent = text;
  status.dataset.kind = kind || "";
}

function sayUnreachable() {
  state.limits = null;
  setKeyStatus(`Cannot reach the API at ${location.host}: the key is not checked. Is the API running?`, "error");
}

// The key line reports what the API answered last: a failed call anywhere on the page turns "Key accepted" into
// "cannot reach the API", and the first call that gets through again re-checks the key.
onReachability((reachable) => {
  const was = state.reachable;
  state.reachable = reachable;
  if (!reachable && apiKey()) sayUnreachable();
  else if (reachable && !was) checkKey();
});

async function checkKey() {
  if (!apiKey()) {
    state.limits = null;
    setKeyStatus("Enter your API key to upload.", "warn");
    clearRecent("Enter your API key to see its jobs.");
    return;
  }
  setKeyStatus("Checking the key…", "");
  try {
    // A real call with the key: only the API can say whether it is accepted.
    state.limits = await api("GET", "v1/limits");
  } catch (err) {
    state.limits = null;
    if (err.code === "api_unreachable") sayUnreachable();
    else {
      setKeyStatus(err.message, "error");
      clearRecent("The API refused this key: no jobs to show.");
    }
    return;
  }
  const types = state.limits.accepted_content_types.map((t) => t.replace("image/", "").toUpperCase());
  const text = `${types.join(", ")}, up to ${humanBytes(state.limits.max_upload_bytes)}`;
  $("#limits").textContent = text;
  offerPresets(state.limits);
  setKeyStatus(`Key accepted. ${text} per image.`, "ok");
  await listRecent(); // the key's own jobs, listed again only when the key changed
}

async function loadConfig() {
  const saved = sessionStorage.getItem(KEY_STORAGE);
  let config = {};
  try {
    config = await (await fetch("ui/config.json")).json();
  } catch (_) {
    config = {};
  }
  if (saved) $("#api-key").value = saved;
  else if (config.default_api_key) $("#api-key").value = config.default_api_key;
  if (config.environment === "local" && config.default_api_key) {
    $("#api-key").title = "The local stack's published dev key is filled in for you.";
  }
  await checkKey();
}

function submitAll(files) {
  for (const file of files) submit(file, state.limits, chosenRecipe);
}

function wire() {
  const input = $("#file-input");
  const zone = $("#drop-zone");
  const key = $("#api-key");
  let timer = null;

  key.addEventListener("input", () => {
    // sessionStorage, as before: the key lives as long as the tab, never on disk for other visits.
    sessionStorage.setItem(KEY_STORAGE, apiKey());
    clearTimeout(timer);
    timer = setTimeout(checkKey, 300);
  });
  $("#key-toggle").addEventListener("click", () => {
    const show = key.type === "password";
    key.type = show ? "text" : "password";
    $("#key-toggle").textContent = show ? "Hide" : "Show";
  });
  input.addEventListener("change", () => {
    submitAll([...input.files]);
    input.value = "";
  });
  zone.addEventListener("click", () => input.click());
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      input.click();
    }
  });
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    zone.addEventListener(name, () => zone.classList.remove("dragging"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    submitAll([...event.dataTransfer.files]);
  });
  $("#open-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = $("#open-id").value.trim();
    if (id) reopen(id);
    $("#open-id").value = "";
  });
  // Back to the tab, or the network is back: say again whether the API takes the key.
  window.addEventListener("online", checkKey);
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && checkKey());
  wireRecent();
  loadConfig();
}

wire(); // a module runs once the document is parsed
