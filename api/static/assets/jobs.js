// One card per job: create it and upload the file with its presigned POST, or reopen it by id; poll; show it.
import { $, ApiError, api, apiKey, humanBytes, sniffType } from "./client.js";
import { deleteControl } from "./deletion.js";
import { renderResult } from "./render.js";

const TERMINAL = new Set(["completed", "failed", "expired"]);
let cards = 0;

function newCard(filename) {
  cards += 1;
  const card = $("#job-template").content.firstElementChild.cloneNode(true);
  $(".job-file", card).textContent = filename;
  for (const radio of card.querySelectorAll(".box-controls input")) radio.name = `boxes-${cards}`;
  const close = $(".job-close", card);
  close.setAttribute("aria-label", `Close ${filename || "this job"}`);
  close.addEventListener("click", () => card.remove());
  $("#jobs").prepend(card);
  return card;
}

function setJobId(card, jobId) {
  card.dataset.jobId = jobId;
  $(".job-id", card).textContent = jobId;
}

/** Once the card knows its job (and the job's name): a Delete button next to Close. */
function offerDelete(card, filename) {
  if ($(".delete-control", card)) return;
  $(".job-actions", card).insertBefore(deleteControl(card.dataset.jobId, filename), $(".job-close", card));
}

function setStatus(card, status) {
  card.dataset.status = status;
  const pill = $(".job-status", card);
  pill.textContent = status.replaceAll("_", " ");
  pill.dataset.status = status;
  const done = {
    create: status !== "creating" && status !== "refused",
    upload: ["processing", "completed", "failed", "uploaded"].includes(status),
    process: status === "completed",
  };
  const active = { creating: "create", uploading: "upload", upload_pending: "upload", processing: "process" };
  for (const step of card.querySelectorAll(".steps li")) {
    step.classList.toggle("done", Boolean(done[step.dataset.step]));
    step.classList.toggle("active", active[status] === step.dataset.step);
  }
}

function showError(card, code, message) {
  const box = $(".job-error", card);
  $(".error-code", box).textContent = code;
  $(".error-message", box).textContent = message;
  box.hidden = false;
}

function upload(card, instructions, file, contentType) {
  // XMLHttpRequest rather than fetch: it reports upload progress.
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(instructions.fields)) form.append(name, value);
    form.append("file", new File([file], file.name, { type: contentType }));
    const xhr = new XMLHttpRequest();
    const bar = $(".upload-progress", card);
    const label = $(".upload-bytes", card);
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      bar.value = event.loaded / event.total;
      label.textContent = `${humanBytes(Math.min(event.loaded, file.size))} / ${humanBytes(file.size)}`;
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        bar.value = 1;
        label.textContent = humanBytes(file.size);
        resolve();
      } else {
        reject(new ApiError("upload_rejected", `Storage refused the upload (HTTP ${xhr.status}).`, xhr.status));
      }
    });
    xhr.addEventListener("error", () =>
      reject(new ApiError("upload_unreachable", `Cannot reach the upload endpoint ${instructions.url}.`)),
    );
    xhr.open(instructions.method || "POST", instructions.url);
    xhr.send(form);
  });
}

async function follow(card, jobId, { uploaded }) {
  let delay = 250;
  for (;;) {
    const job = await api("GET", `v1/jobs/${encodeURIComponent(jobId)}`);
    if (!card.isConnected) return; // closed, or deleted: nothing to show any more
    offerDelete(card, job.filename);
    // The recent list (recent.js) keeps its row's status in step; a job uploaded here gets its row.
    document.dispatchEvent(new CustomEvent("imgpipe:job", { detail: { job, madeHere: uploaded } }));
    $(".raw-json", card).textContent = JSON.stringify(job, null, 2);
    if (!$(".job-file", card).textContent) $(".job-file", card).textContent = job.filename;
    // Uploaded from this page but not yet picked up by a worker: the API still says upload_pending.
    const shown = job.status === "upload_pending" && uploaded ? "uploaded" : job.status;
    if (card.dataset.status !== shown) setStatus(card, shown);
    if (TERMINAL.has(job.status)) {
      if (job.status === "completed") renderResult(card, job);
      else if (job.error) showError(card, job.error.code, job.error.message);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 1.5, 2000);
  }
}

function fail(card, err) {
  setStatus(card, card.dataset.jobId ? "failed" : "refused");
  showError(card, err.code || "error", err.message);
}

/** Checks a file as the worker will (by its bytes), creates its job with the outputs `recipe()` gives, uploads it
 * and follows it to the end. */
export async function submit(file, limits, recipe = () => ({})) {
  const card = newCard(file.name);
  setStatus(card, "creating");
  try {
    if (!apiKey()) throw new ApiError("missing_api_key", "Enter your API key above first.");
    const accepted = limits ? limits.accepted_content_types : ["image/png", "image/jpeg"];
    const contentType = await sniffType(file);
    if (!accepted.includes(contentType)) {
      const names = accepted.map((t) => t.replace("image/", "").toUpperCase()).join(", ");
      throw new ApiError(
        "unsupported_format",
        `${file.name} is not an accepted image (${names}) by its content, whatever its name says. Nothing was uploaded.`,
      );
    }
    if (limits && file.size > limits.max_upload_bytes) {
      throw new ApiError(
        "file_too_large",
        `${humanBytes(file.size)} is over the ${humanBytes(limits.max_upload_bytes)} limit. Resize or compress it first.`,
      );
    }
    const body = { filename: file.name, content_type: contentType, size_bytes: file.size, ...recipe() };
    const created = await api("POST", "v1/jobs", body);
    setJobId(card, created.job_id);
    offerDelete(card, file.name);
    setStatus(card, "uploading");
    await upload(card, created.upload, file, contentType);
    setStatus(card, "uploaded");
    await follow(card, created.job_id, { uploaded: true });
  } catch (err) {
    fail(card, err);
  }
}

/** A card for a job created earlier (from the recent list, or an id the user typed), read back from the API. */
export async function reopen(jobId, filename = "") {
  const existing = [...document.querySelectorAll("article.job")].find((c) => c.dataset.jobId === jobId);
  if (existing) {
    existing.scrollIntoView({ block: "nearest" });
    return;
  }
  const card = newCard(filename);
  setJobId(card, jobId);
  setStatus(card, "opening");
  card.scrollIntoView({ block: "nearest" });
  try {
    await follow(card, jobId, { uploaded: false });
  } catch (err) {
    setStatus(card, "refused");
    showError(card, err.code || "error", err.message);
  }
}
