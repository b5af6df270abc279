// The public API as the page uses it: the key the user typed, one error type, and the small helpers every module
// needs. Paths are relative to the page (/ui), so the page also works when the API is served under a path prefix.

export const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

export function humanBytes(n) {
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

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export function apiKey() {
  return $("#api-key").value.trim();
}

// Whoever shows the API's reachability (the key line) listens here: every call reports whether the API answered.
const reachability = new EventTarget();
export const onReachability = (listener) => reachability.addEventListener("change", (e) => listener(e.detail));

export async function api(method, path, body) {
  const headers = { "X-API-Key": apiKey() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    reachability.dispatchEvent(new CustomEvent("change", { detail: false }));
    throw new ApiError("api_unreachable", `Cannot reach the API (${err.message}). Is it running?`);
  }
  reachability.dispatchEvent(new CustomEvent("change", { detail: true }));
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

// The formats core/formats.py can name, by their first bytes (WebP's tag sits at offset 8).
const SIGNATURES = [
  { type: "image/png", at: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: "image/jpeg", at: 0, bytes: [0xff, 0xd8, 0xff] },
  { type: "image/gif", at: 0, bytes: [0x47, 0x49, 0x46, 0x38] },
  { type: "image/tiff", at: 0, bytes: [0x49, 0x49, 0x2a, 0x00] },
  { type: "image/tiff", at: 0, bytes: [0x4d, 0x4d, 0x00, 0x2a] },
  { type: "image/webp", at: 8, bytes: [0x57, 0x45, 0x42, 0x50] },
];
// HEIF and AVIF open with an `ftyp` box whose major and compatible brands name the codec (core/formats.py).
const AVIF_BRANDS = ["avif", "avis"];
const HEIF_BRANDS = ["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1"];
const HEAD_BYTES = 64;

function ftypBrands(head) {
  const text = (from, to) => String.fromCharCode(...head.slice(from, to));
  if (head.length < 12 || text(4, 8) !== "ftyp") return [];
  const end = Math.min(new DataView(head.buffer).getUint32(0), head.length);
  const brands = [text(8, 12)];
  for (let i = 16; i + 4 <= end; i += 4) brands.push(text(i, i + 4));
  return brands;
}

/** The image type the file's first bytes say, whatever its name or the browser's guess; "" when none. */
export async function sniffType(file) {
  const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  const match = SIGNATURES.find((s) => s.bytes.every((b, i) => head[s.at + i] === b));
  if (match) return match.type;
  const brands = ftypBrands(head);
  if (brands.some((b) => AVIF_BRANDS.includes(b))) return "image/avif";
  if (brands.some((b) => HEIF_BRANDS.includes(b))) return "image/heic";
  return "";
}
