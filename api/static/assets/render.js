// A completed job's results on its card: metadata, text with boxes over the image, labels, colours, outputs.
// Text is inserted with textContent only.
import { $, el, humanBytes } from "./client.js";

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

// A list cut by its max-height says so: a fade at its bottom edge and a hint, until it is scrolled to the end.
function showWhenCut(region, hint, total) {
  const update = () => {
    const more = region.scrollHeight - region.clientHeight - region.scrollTop > 2;
    region.dataset.more = String(more);
    hint.hidden = !more;
    hint.textContent = `Scroll the list for all ${total} lines.`;
  };
  region.addEventListener("scroll", update, { passive: true });
  new ResizeObserver(update).observe(region);
  update();
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
    // Focusable, so a keyboard reaches every line (and scrolls the list) and lights its box as a mouse does.
    const item = el("li", { tabindex: "0" }, [
      el("span", { class: "line-text", text: line.text }),
      el("span", { class: "confidence", text: `${Number(line.confidence).toFixed(1)}%` }),
    ]);
    for (const [on, off] of [["mouseenter", "mouseleave"], ["focus", "blur"]]) {
      item.addEventListener(on, () => highlight(card, index, true));
      item.addEventListener(off, () => highlight(card, index, false));
    }
    list.append(item);
  });
  list.hidden = !lines.length;
  if (lines.length) showWhenCut(list, $(".more-hint", card), lines.length);

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
        el("span", {
          class: "muted",
          text: ` ${o.content_type.replace("image/", "").toUpperCase()} ${o.width}×${o.height} · ${humanBytes(o.bytes)}`,
        }),
      ]);
      return el("figure", { class: "thumb-card" }, [el("div", { class: "thumb-frame" }, [img]), caption]);
    }),
  );
}

export function renderResult(card, job) {
  const result = job.result;
  const outputs = result.outputs || [];
  const preview = outputs.find((o) => o.name.endsWith(".webp")) || [...outputs].sort((a, b) => b.width - a.width)[0];
  const img = $(".preview-img", card);
  if (preview) img.src = preview.url;
  $(".job-result", card).hidden = false; // first, so the text list has a size when it is measured
  renderMetadata(card, job);
  renderText(card, result.analysis);
  renderLabels(card, result.analysis);
  renderOutputs(card, outputs);
}
