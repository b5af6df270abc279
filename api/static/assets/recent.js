// The caller's recent jobs, as the API lists them (GET /v1/jobs, newest first): the same list in any browser with
// the key, after a reload too. A page at a time; "Load more" follows next_cursor. Each row opens the job's card or
// deletes the job. Nothing is kept in the browser: the list is the server's.
import { $, api, apiKey, el } from "./client.js";
import { deleteControl } from "./deletion.js";
import { reopen } from "./jobs.js";

const PAGE = 10;
const state = { key: null, cursor: null };

function say(text) {
  $("#recent-status").textContent = text;
}

const rowOf = (jobId) => [...document.querySelectorAll("li.recent-job")].find((r) => r.dataset.jobId === jobId);

function setRowStatus(row, status) {
  const pill = $(".status-pill", row);
  pill.textContent = status.replaceAll("_", " ");
  pill.dataset.status = status;
}

function row(job) {
  const name = job.filename || job.job_id;
  const item = el("li", { class: "recent-job" });
  item.dataset.jobId = job.job_id;
  const open = el("button", { type: "button", class: "ghost recent-open", "aria-label": `Open ${name}` }, ["Open"]);
  open.addEventListener("click", () => reopen(job.job_id, job.filename));
  const created = new Date(job.created_at);
  item.append(
    el("div", { class: "recent-what" }, [
      el("span", { class: "recent-file", text: name }),
      el("span", { class: "status-pill" }),
    ]),
    el("div", { class: "recent-when" }, [
      el("time", { datetime: job.created_at, text: created.toLocaleString() }),
      el("code", { class: "job-id", text: job.job_id }),
    ]),
    el("div", { class: "recent-actions" }, [open, deleteControl(job.job_id, name)]),
  );
  setRowStatus(item, job.status);
  return item;
}

function showMore() {
  $("#recent-more").hidden = !state.cursor;
  const count = document.querySelectorAll("li.recent-job").length;
  say(count ? `${count} job${count === 1 ? "" : "s"}, newest first.` : "No jobs with this key yet.");
}

async function loadPage() {
  const key = state.key;
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (state.cursor) params.set("cursor", state.cursor);
  const more = $("#recent-more");
  more.disabled = true;
  let page;
  try {
    page = await api("GET", `v1/jobs?${params}`);
  } catch (err) {
    if (key !== state.key) return;
    say(`Cannot list your jobs: ${err.message}`);
    if (!document.querySelector("li.recent-job")) state.key = null; // the next key check tries the list again
    return;
  } finally {
    more.disabled = false;
  }
  if (key !== state.key) return; // the key changed while this page was on its way
  for (const job of page.jobs) if (!rowOf(job.job_id)) $("#recent-list").append(row(job));
  state.cursor = page.next_cursor;
  showMore();
  $("#recent").dataset.listed = "true"; // tests wait for this
}

/** The first page of the jobs of the key in the field (again, if the key changed since). */
export async function listRecent() {
  if (state.key === apiKey()) return;
  clearRecent("Loading your jobs…");
  state.key = apiKey();
  await loadPage();
}

/** No key, or one the API refused: no one's jobs are shown. */
export function clearRecent(message) {
  state.key = null;
  state.cursor = null;
  $("#recent-list").replaceChildren();
  $("#recent-more").hidden = true;
  delete $("#recent").dataset.listed;
  say(message);
}

/** A job the page has read: its row shows its status now, and a job made on this page gets its row on top. */
function noteJob(job, madeHere) {
  const existing = rowOf(job.job_id);
  if (existing) setRowStatus(existing, job.status);
  else if (madeHere && state.key === apiKey()) {
    $("#recent-list").prepend(row(job));
    showMore();
  }
}

export function wireRecent() {
  $("#recent-more").addEventListener("click", loadPage);
  // jobs.js says so each time it reads a job (an event, so that it needs no import of this module).
  document.addEventListener("imgpipe:job", (event) => noteJob(event.detail.job, event.detail.madeHere));
}
