// Deleting a job from the page: a Delete button that asks once more before it calls DELETE /v1/jobs/{id}, then
// takes the job's card and its row in the recent list away. Used on both (jobs.js, recent.js); what happened is
// said in the recent list's status line (a live region).
import { $, api, el } from "./client.js";

/** Every element of the page that shows the job: its card and its row. */
const shown = (jobId) => document.querySelectorAll(`[data-job-id="${CSS.escape(jobId)}"]`);

const report = (text) => {
  $("#recent-status").textContent = text;
};

/** A Delete button for the job, `label` naming it (its file name). */
export function deleteControl(jobId, label) {
  const name = label || "this job";
  const box = el("span", { class: "delete-control" });
  const ask = el("button", { type: "button", class: "ghost danger job-delete", "aria-label": `Delete ${name}` }, [
    "Delete",
  ]);
  const question = el("span", { class: "confirm", role: "group", "aria-label": `Delete ${name} for good?` });
  const yes = el("button", { type: "button", class: "ghost danger confirm-yes", "aria-label": `Yes, delete ${name}` }, [
    "Yes",
  ]);
  const no = el("button", { type: "button", class: "ghost confirm-no", "aria-label": `No, keep ${name}` }, ["No"]);
  question.append(el("span", { text: "Delete?" }), yes, no);
  question.hidden = true;
  box.append(ask, question);

  const asking = (on) => {
    ask.hidden = on;
    question.hidden = !on;
    (on ? no : ask).focus(); // the safe answer has the focus: Enter does not delete by accident
  };
  ask.addEventListener("click", () => asking(true));
  no.addEventListener("click", () => asking(false));
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    try {
      await api("DELETE", `v1/jobs/${encodeURIComponent(jobId)}`);
    } catch (err) {
      // Already gone (deleted elsewhere, or expired): the page stops showing it, as after a delete.
      if (err.status !== 404) {
        yes.disabled = false;
        asking(false);
        report(`${name} was not deleted: ${err.message}`);
        return;
      }
    }
    for (const node of shown(jobId)) node.remove();
    $("#recent-title").focus(); // the focused button went with its job: keyboard users go on from the list
    report(`${name} was deleted.`);
  });
  return box;
}
