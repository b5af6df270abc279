// imgpipe results page: create a job, upload the file with its presigned POST, poll, show the results.
// Plain JS, no build step. Everything shown comes from the public API; text is inserted with textContent only.
// Paths are relative to the page (/ui), so the page also works when the API is served under a path prefix.
"use strict";

(function () {
  const TERMINAL = new Set(["completed", "failed", "expired"]);
  const SIGNATURES = [
    { type: "image/png", bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
    { type: "image/jpeg", bytes: [0xff, 0xd8, 0xff] },
  ];
  const KEY_STORAGE = "imgpipe.apiKey";

  const $ = (selector, root = document) => root.querySelector(selector);
  const state = { limits: null, cards: 0 };

  // ---- small helpers -----------------------------------------------------------------------------------------

  function humanBytes(n) {
    if (n == null) return "";
    if (n < 1024) return `${n} B`;
    const units = ["KiB", "MiB", "GiB"];
    let value = n / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
  }

  function el(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function apiKey() {
    return $("#api-key").value.trim();
  }

  class ApiError extends Error {
    constructor(code, message, status) {
      super(message);
      this.code = code;
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { "X-API-Key": apiKey() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new ApiError("api_unreachable", `Cannot reach the API (${err.message}). Is it running?`);
    }
    let payload = null;
    try {
      payload = await response.json();
    } catch (_) {
      payload = null;
    }
    if (!response.ok) {
      const error = (payload && payload.error) || {};
      throw new ApiError(error.code || `http_${response.status}`, error.message || response.statusText, response.status);
    }
    return payload;
  }

  async function sniffType(file) {
    const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
    const match = SIGNATURES.find((s) => s.bytes.every((b, i) => head[i] === b));
    return match ? match.type : "";
  }

  // ---- API key and limits ------------------------------------------------------------------------------------

  function setKeyStatus(text, kind) {
    const status = $("#key-status");
    status.textContent = text;
    status.dataset.kind = kind || "";
  }

  async function checkKey() {
    if (!apiKey()) {
      state.limits = null;
      setKeyStatus("Enter your API key to upload.", "warn");
      return;
    }
    try {
      state.limits = await api("GET", "v1/limits");
      const types = state.limits.accepted_content_types.map((t) => t.replace("image/", "").toUpperCase());
      const text = `${types.join(" or ")}, up to ${humanBytes(state.limits.max_upload_bytes)}`;
      $("#limits").textContent = text;
      setKeyStatus(`Key accepted. ${text} per image.`, "ok");
    } catch (err) {
      state.limits = null;
      setKeyStatus(err.message, "error");
    }
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

  // ---- one job card ------------------------------------------------------------------------------------------

  function newCard(file) {
    state.cards += 1;
    const card = $("#job-template").content.firstElementChild.cloneNode(true);
    $(".job-file", card).textContent = file.name;
    for (const radio of card.querySelectorAll(".box-controls input")) radio.name = `boxes-${state.cards}`;
    $("#jobs").prepend(card);
    return card;
  }

  function setStatus(card, status) {
    card.dataset.status = status;
    const pill = $(".job-status", card);
    pill.textContent = status.replace("_", " ");
    pill.dataset.status = status;
    const done = {
      create: status !== "creating" && status !== "refused",
      upload: ["processing", "completed", "failed"].includes(status) || status === "uploaded",
      process: status === "completed",
    };
    for (const step of card.querySelectorAll(".steps li")) {
      step.classList.toggle("done", Boolean(done[step.dataset.step]));
    }
    const active = { creating: "create", uploading: "upload", upload_pending: "upload", processing: "process" };
    for (const step of card.querySelectorAll(".steps li")) {
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

  async function poll(card, jobId) {
    let delay = 250;
    for (;;) {
      const job = await api("GET", `v1/jobs/${encodeURIComponent(jobId)}`);
      $(".raw-json", card).textContent = JSON.stringify(job, null, 2);
      // Uploaded but not yet picked up by a worker: the API still says upload_pending.
      const shown = job.status === "upload_pending" ? "uploaded" : job.status;
      if (card.dataset.status !== shown) setStatus(card, shown);
      if (TERMINAL.has(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 1.5, 2000);
    }
  }

  async function submit(file) {
    const card = newCard(file);
    setStatus(card, "creating");
    try {
      if (!apiKey()) throw new ApiError("missing_api_key", "Enter your API key above first.");
      let contentType = file.type;
      if (!contentType) contentType = (await sniffType(file)) || "application/octet-stream";
      const limits = state.limits;
      if (limits && file.size > limits.max_upload_bytes) {
        throw new ApiError(
          "file_too_large",
          `${humanBytes(file.size)} is over the ${humanBytes(limits.max_upload_bytes)} limit. Resize or compress it first.`,
        );
      }
      const created = await api("POST", "v1/jobs", {
        filename: file.name,
        content_type: contentType,
        size_bytes: file.size,
      });
      card.dataset.jobId = created.job_id;
      $(".job-id", card).textContent = created.job_id;
      setStatus(card, "uploading");
      await upload(card, created.upload, file, contentType);
      setStatus(card, "uploaded");
      const job = await poll(card, created.job_id);
      if (job.status === "completed") renderResult(card, job);
      else if (job.error) showError(card, job.error.code, job.error.message);
    } catch (err) {
      setStatus(card, card.dataset.jobId ? "failed" : "refused");
      showError(card, err.code || "error", err.message);
    }
  }

  // ---- results -----------------------------------------------------------------------------------------------

  function boxOf(item) {
    const b = item.box || item.bounding_box || item.BoundingBox || {};
    const pick = (lower, upper) => Number(b[lower] ?? b[upper] ?? 0);
    return { left: pick("left", "Left"), top: pick("top", "Top"), width: pick("width", "Width"), height: pick("height", "Height") };
  }

  function drawBoxes(card, analysis, kind) {
    const layer = $(".boxes", card);
    layer.replaceChildren();
    const items = kind === "words" ? analysis.words || [] : kind === "lines" ? analysis.lines || [] : [];
    items.forEach((item, index) => {
      const b = boxOf(item);
      const box = el("div", { class: `box box-${kind}`, title: `${item.text} (${Math.round(item.confidence)}%)` });
      box.dataset.index = String(index);
      box.style.left = `${b.left * 100}%`;
      box.style.top = `${b.top * 100}%`;
      box.style.width = `${b.width * 100}%`;
      box.style.height = `${b.height * 100}%`;
      layer.append(box);
    });
  }

  function highlight(card, index, on) {
    const box = $(`.box-lines[data-index="${index}"]`, card);
    if (box) box.classList.toggle("hot", on);
  }

  function renderText(card, analysis) {
    const note = $(".text-note", card);
    const full = $(".full-text", card);
    const list = $(".text-lines", card);
    list.replaceChildren();
    if (!analysis) {
      note.textContent = "No text analysis for this job (the worker's analysis is not enabled).";
      return;
    }
    if (analysis.skipped_reason) {
      note.textContent = `Text analysis skipped: ${analysis.skipped_reason}.`;
      return;
    }
    const lines = analysis.lines || [];
    if (!lines.length && !analysis.full_text) {
      note.textContent = `No text found (engine: ${analysis.engine}).`;
      return;
    }
    note.textContent = `${lines.length} line${lines.length === 1 ? "" : "s"} found by the ${analysis.engine} engine.`;
    full.textContent = analysis.full_text || lines.map((l) => l.text).join("\n");
    full.hidden = false;
    lines.forEach((line, index) => {
      const item = el("li", {}, [
        el("span", { class: "line-text", text: line.text }),
        el("span", { class: "confidence", text: `${Number(line.confidence).toFixed(1)}%` }),
      ]);
      item.addEventListener("mouseenter", () => highlight(card, index, true));
      item.addEventListener("mouseleave", () => highlight(card, index, false));
      list.append(item);
    });

    const hasBoxes = lines.length || (analysis.words || []).length;
    const controls = $(".box-controls", card);
    controls.hidden = !hasBoxes;
    if (hasBoxes) {
      const initial = lines.length ? "lines" : "words";
      for (const radio of controls.querySelectorAll("input")) {
        radio.checked = radio.value === initial;
        radio.disabled = radio.value !== "none" && !(analysis[radio.value] || []).length;
        radio.addEventListener("change", () => drawBoxes(card, analysis, radio.value));
      }
      drawBoxes(card, analysis, initial);
    }
  }

  function renderLabels(card, analysis) {
    const labels = (analysis && analysis.labels) || [];
    const section = $(".labels-section", card);
    section.hidden = !labels.length;
    $(".labels", card).replaceChildren(
      ...labels.map((l) => el("li", { class: "chip", text: `${l.name} ${Math.round(l.confidence)}%` })),
    );
    const colors = (analysis && analysis.properties && analysis.properties.dominant_colors) || [];
    const colorSection = $(".colors-section", card);
    colorSection.hidden = !colors.length;
    $(".colors", card).replaceChildren(
      ...colors.map((c) => {
        const swatch = el("span", { class: "swatch" });
        swatch.style.background = /^#[0-9a-f]{6}$/i.test(c.hex) ? c.hex : "transparent";
        return el("li", {}, [swatch, el("span", { text: `${c.hex} · ${c.pixel_percent}%` })]);
      }),
    );
  }

  function renderMetadata(card, job) {
    const meta = job.result.metadata;
    const rows = [
      ["Format", `${meta.format} (${meta.mode})`],
      ["Dimensions", `${meta.width} × ${meta.height} px`],
    ];
    if (meta.upright_width !== meta.width || meta.upright_height !== meta.height) {
      rows.push(["Displayed as", `${meta.upright_width} × ${meta.upright_height} px`]);
    }
    rows.push(["EXIF orientation", meta.exif_orientation == null ? "none" : String(meta.exif_orientation)]);
    rows.push(["Size", `${humanBytes(meta.bytes)} (${meta.bytes.toLocaleString()} bytes)`]);
    const seconds = (new Date(job.updated_at) - new Date(job.created_at)) / 1000;
    rows.push(["Created → done", `${seconds.toFixed(1)} s`]);
    rows.push(["Attempts", String(job.attempts)]);
    $(".metadata", card).replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  }

  function renderOutputs(card, outputs) {
    const sorted = [...outputs].sort((a, b) => b.width - a.width);
    $(".thumbs", card).replaceChildren(
      ...sorted.map((o) => {
        const img = el("img", { class: "thumb", src: o.url, alt: o.name, "data-name": o.name });
        const caption = el("figcaption", {}, [
          el("a", { href: o.url, target: "_blank", rel: "noopener noreferrer", text: o.name }),
          el("span", { class: "muted", text: ` ${o.width}×${o.height} · ${humanBytes(o.bytes)}` }),
        ]);
        return el("figure", { class: "thumb-card" }, [el("div", { class: "thumb-frame" }, [img]), caption]);
      }),
    );
  }

  function renderResult(card, job) {
    const result = job.result;
    const outputs = result.outputs || [];
    const preview =
      outputs.find((o) => o.name.endsWith(".webp")) || [...outputs].sort((a, b) => b.width - a.width)[0];
    const img = $(".preview-img", card);
    if (preview) img.src = preview.url;
    renderMetadata(card, job);
    renderText(card, result.analysis);
    renderLabels(card, result.analysis);
    renderOutputs(card, outputs);
    $(".job-result", card).hidden = false;
  }

  // ---- wiring ------------------------------------------------------------------------------------------------

  function submitAll(files) {
    for (const file of files) submit(file);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const input = $("#file-input");
    const zone = $("#drop-zone");
    const key = $("#api-key");
    let timer = null;

    key.addEventListener("input", () => {
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
    zone.addEventListener("click", (event) => {
      if (event.target === zone || event.target.closest(".drop-text strong")) input.click();
    });
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
    loadConfig();
  });
})();
