// The outputs a new job asks for: one of the presets GET /v1/limits lists, or a custom `outputs` list (JSON, as
// POST /v1/jobs takes it). The API validates either; its 422 names the field on the card.
import { $, ApiError, el } from "./client.js";

const CUSTOM = "__custom__";

function describe(outputs) {
  return outputs
    .map((o) => {
      const box = `${o.width ?? "…"}×${o.height ?? "…"}`;
      return `${o.name} (${o.format.toUpperCase()} ${box} ${o.fit})`;
    })
    .join(", ");
}

function showChoice(presets) {
  const choice = $("#preset").value;
  const custom = choice === CUSTOM;
  $("#custom-outputs").hidden = !custom;
  $("#preset-hint").textContent = custom
    ? "A JSON list of outputs: name, width and/or height, fit (inside, contain, cover, fill), format (jpeg, webp, avif, png), quality, gravity."
    : describe(presets[choice] || []);
}

/** Offer this deployment's presets (from GET /v1/limits), keeping the current choice when it still exists. */
export function offerPresets(limits) {
  const select = $("#preset");
  const presets = (limits && limits.presets) || {};
  const chosen = select.value;
  const options = Object.keys(presets).map((name) => el("option", { value: name, text: name }));
  options.push(el("option", { value: CUSTOM, text: "custom…" }));
  select.replaceChildren(...options);
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
  select.onchange = () => showChoice(presets);
  showChoice(presets);
}

/** The body fields of the chosen recipe: {preset} or {outputs}; throws when the custom list is not JSON. */
export function chosenRecipe() {
  const choice = $("#preset").value;
  if (!choice) return {};
  if (choice !== CUSTOM) return { preset: choice };
  let outputs;
  try {
    outputs = JSON.parse($("#outputs-json").value);
  } catch (err) {
    throw new ApiError("invalid_outputs", `The custom outputs are not JSON (${err.message}). Nothing was uploaded.`);
  }
  return { outputs };
}
