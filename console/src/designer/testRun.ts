// Test mode's form and answer, without React: the request built from what the user typed
// (every JSON field checked, each error named by its field), and the answer read back into
// what the canvas highlights (the edges and nodes the run went through), the messages it
// would have sent and the requests it would have made.

import { edgeKey } from "../canvas/path";
import type { TestEvent, TestProfile, TestRunRequest, TestRunResult, TestStep, TestVisit } from "./checkApi";
import type { TakenEdges } from "./types";

export interface EventDraft {
  name: string;
  /** JSON text of the event's properties; empty is {}. */
  properties: string;
  /** ISO 8601 duration after the entry. */
  after: string;
}

export interface TestForm {
  mode: "real" | "invented";
  /** The real profile chosen from the search, as the API gave it. */
  real: TestProfile | null;
  inventedId: string;
  /** JSON text of the invented profile's attributes. */
  inventedAttributes: string;
  entryProperties: string;
  events: EventDraft[];
  actionResponses: string;
  /** Names of actions and data sources that fail, separated by commas. */
  failingActions: string;
}

export const EMPTY_FORM: TestForm = {
  mode: "invented",
  real: null,
  inventedId: "test-profile",
  inventedAttributes: "{}",
  entryProperties: "{}",
  events: [],
  actionResponses: "{}",
  failingActions: "",
};

/** The error of each field that is wrong, by field ("attributes", "events[0].after" …). */
export type FormErrors = Record<string, string>;

type Parsed = { value: Record<string, unknown> } | { error: string };

/** A JSON object typed in a text field; an empty field is {}. */
export function parseJsonObject(text: string): Parsed {
  if (!text.trim()) return { value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { error: "must be a JSON object ({…})" };
  return { value: value as Record<string, unknown> };
}

const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

/** Whether `text` is an ISO 8601 duration the API accepts (PT30M, P1D, P1DT2H …). */
export const isDuration = (text: string): boolean => DURATION.test(text.trim());

function objectField(text: string, name: string, errors: FormErrors): Record<string, unknown> {
  const parsed = parseJsonObject(text);
  if ("error" in parsed) {
    errors[name] = parsed.error;
    return {};
  }
  return parsed.value;
}

function profileOf(form: TestForm, errors: FormErrors): TestProfile {
  if (form.mode === "real") {
    if (!form.real) errors.profile = "choose a profile (search by id, email or phone)";
    return form.real ?? { profile_id: "", attributes: {} };
  }
  const id = form.inventedId.trim();
  if (!id) errors.profile_id = "required";
  return { profile_id: id, attributes: objectField(form.inventedAttributes, "attributes", errors) };
}

function eventOf(event: EventDraft, i: number, errors: FormErrors): TestEvent {
  const name = event.name.trim();
  if (!name) errors[`events[${i}].name`] = "required";
  const after = event.after.trim() || "PT0S";
  if (!isDuration(after)) errors[`events[${i}].after`] = "an ISO 8601 duration, e.g. PT30M, PT2H or P1D";
  return { name, after, properties: objectField(event.properties, `events[${i}].properties`, errors) };
}

function actionResponses(text: string, errors: FormErrors): Record<string, Record<string, unknown>> {
  const all = objectField(text, "action_responses", errors);
  const bad = Object.entries(all).find(([, v]) => typeof v !== "object" || v === null || Array.isArray(v));
  if (bad) errors.action_responses = `the response of ${JSON.stringify(bad[0])} must be a JSON object`;
  return all as Record<string, Record<string, unknown>>;
}

/** The body of POST /v1/journeys/{id}/test for the definition on the canvas, or the errors
 * of the form (none sent while there are any). */
export function buildTestRequest(form: TestForm, definition: unknown): { request: TestRunRequest; errors: FormErrors } {
  const errors: FormErrors = {};
  const request: TestRunRequest = {
    profile: profileOf(form, errors),
    entry_properties: objectField(form.entryProperties, "entry_properties", errors),
    events: form.events.map((e, i) => eventOf(e, i, errors)),
    action_responses: actionResponses(form.actionResponses, errors),
    failing_actions: form.failingActions.split(",").map((s) => s.trim()).filter(Boolean),
    definition,
  };
  return { request, errors };
}

/** A real profile as the test runs it: its id, contacts, timezone and attributes. */
export function realProfile(p: TestProfile): TestProfile {
  return { profile_id: p.profile_id, email: p.email ?? null, phone: p.phone ?? null, timezone: p.timezone ?? null, attributes: p.attributes };
}

export interface RunOverlay {
  taken: TakenEdges;
  visited: ReadonlySet<string>;
}

/** The edges (edgeKey) between consecutive visits of the run, and the nodes it visited. */
export function runOverlay(result: TestRunResult): RunOverlay {
  const taken = new Set<string>();
  result.path.forEach((step, i) => {
    const next = result.path[i + 1];
    if (next) taken.add(edgeKey(step.node, next.node));
  });
  return { taken, visited: new Set(result.path.map((s) => s.node)) };
}

export interface RenderedMessage {
  node: string | null;
  channel: string;
  template: string;
  subject: string | null;
  body: string | null;
  error: string | null;
}

const text = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** The messages the run would have sent, rendered (or why they could not be). */
export function messagesOf(steps: readonly TestStep[]): RenderedMessage[] {
  return steps
    .filter((s) => s.kind === "message")
    .map((s) => ({
      node: s.node,
      channel: text(s.channel) ?? "",
      template: text(s.template) ?? "",
      subject: text(s.subject),
      body: text(s.body),
      error: text(s.error),
    }));
}

export interface CallRequest {
  node: string | null;
  kind: "action" | "fetch";
  name: string;
  request: unknown;
  response: unknown;
  error: string | null;
}

/** The action and fetch requests the run would have made, with the answers it was given. */
export function requestsOf(steps: readonly TestStep[]): CallRequest[] {
  return steps
    .filter((s): s is TestStep & { kind: "action" | "fetch" } => s.kind === "action" || s.kind === "fetch")
    .map((s) => ({ node: s.node, kind: s.kind, name: text(s.name) ?? "", request: s.request ?? null, response: s.response ?? null, error: text(s.error) }));
}

/** "+1d 2h 5m" after the entry (virtual time): when a visit happened in the run. */
export function offsetFrom(start: string, at: string): string {
  let minutes = Math.round((Date.parse(at) - Date.parse(start)) / 60000);
  if (!Number.isFinite(minutes) || minutes <= 0) return "+0m";
  const days = Math.floor(minutes / 1440);
  minutes -= days * 1440;
  const hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  const parts = [days && `${days}d`, hours && `${hours}h`, minutes && `${minutes}m`].filter(Boolean);
  return `+${parts.join(" ")}`;
}

/** Each node visit with what it evaluated; from `path` alone if the server gave no `visits`. */
export function visitsOf(result: TestRunResult): TestVisit[] {
  if (result.visits) return result.visits;
  return result.path.map((p) => ({ ...p, visit: 1, seq: null, detail: null, checks: [] }));
}
