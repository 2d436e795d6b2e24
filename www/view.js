// The demo page's view: its log, its status pill, and what a manager knows
// and has stored (hashes only, shortened).
import { loadTokens } from "/tokens.js";

export const $ = (id) => document.getElementById(id);
export const short = (hash) => (hash ? `${hash.slice(0, 10)}…${hash.slice(-6)}` : "none");

let current = "starting";
/** The status pill's text now. */
export const status = () => current;

export function log(kind, text) {
  const item = document.createElement("li");
  item.className = kind;
  item.innerHTML = `<span>${new Date().toLocaleTimeString()}</span> <b>${kind}</b> `;
  item.append(text);
  $("log").prepend(item);
  while ($("log").children.length > 200) $("log").lastChild.remove();
}

export function setStatus(text, tone) {
  current = text;
  $("status").textContent = text;
  $("status").className = `pill ${tone ?? ""}`;
}

export async function renderState(manager) {
  if (!manager) return;
  $("known-hash").textContent = short(manager.knownSessionHash);
  const stored = await manager.storedState().catch(() => null);
  $("stored-hash").textContent = stored ? short(stored.dbHash) : "unreadable";
  $("generation").textContent = stored ? String(stored.generation) : "–";
  const stats = await fetch("/stats").then((r) => r.json()).catch(() => null);
  if (stats) $("server-stats").textContent = `${stats.refreshes} refreshed, ${stats.invalidGrant} invalid_grant`;
  const loggedIn = loadTokens() !== null;
  $("login").disabled = loggedIn;
  for (const id of ["refresh", "expire-all", "logout", "worker"]) $(id).disabled = !loggedIn;
}

export async function renderLock(manager) {
  const state = await manager.lockState().catch(() => null);
  if (!state) return;
  const text = state.heldByThisManager ? "held by this tab" : state.held ? "held by another context" : "free";
  $("lock-state").textContent = state.waiting ? `${text} · ${state.waiting} waiting` : text;
  $("lock-state").className = `pill ${state.heldByThisManager ? "busy" : state.held ? "warn" : "ok"}`;
}
