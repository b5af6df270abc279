// The jobs this browser worked with, so their cards come back after a reload. Only job ids (and the file name, to
// label a card before its job is read) are kept, in localStorage: an id is useless without the key, which stays in
// sessionStorage as before. When the API lists a caller's own jobs, `recentJobs` becomes that call; the rest of
// the page only uses these three functions.

const STORAGE = "imgpipe.recentJobs";
const KEEP = 20;

function read() {
  try {
    const items = JSON.parse(localStorage.getItem(STORAGE) || "[]");
    return Array.isArray(items) ? items.filter((i) => i && typeof i.id === "string") : [];
  } catch (_) {
    return [];
  }
}

function write(items) {
  try {
    localStorage.setItem(STORAGE, JSON.stringify(items.slice(0, KEEP)));
  } catch (_) {
    // Storage full or disabled (private mode): the page works, the cards just do not survive a reload.
  }
}

/** Newest first: [{id, filename}]. */
export async function recentJobs() {
  return read();
}

export function remember(id, filename) {
  write([{ id, filename: filename || "" }, ...read().filter((i) => i.id !== id)]);
}

export function forget(id) {
  write(read().filter((i) => i.id !== id));
}
