// The lists a reference field picks from: published templates, actions, data sources,
// audiences, journeys and decisions from the API (their list endpoints), and the node ids
// and event names of the draft itself.

import { request } from "../../api/client";
import type { Page } from "../../api/types";
import { asObject } from "./schema";

/** One choice of a picker: the value written into the definition and what people read. */
export interface PickerOption {
  value: string;
  label: string;
}

type Row = Record<string, unknown>;

interface Source {
  path: string;
  value: (row: Row) => unknown;
  label?: (row: Row) => string;
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** Where each `x-wayline-ref` kind is listed; a kind not here has no list of the API. */
export const SOURCES: Readonly<Record<string, Source>> = {
  template: { path: "/v1/templates", value: (r) => r.name, label: (r) => `${text(r.name)} · ${text(r.channel)}` },
  action: { path: "/v1/actions", value: (r) => r.name },
  data_source: { path: "/v1/data-sources", value: (r) => r.name },
  audience: { path: "/v1/audiences", value: (r) => r.audience_id, label: (r) => `${text(r.audience_id)} · ${text(r.name)}` },
  journey: { path: "/v1/journeys", value: (r) => r.journey_id, label: (r) => `${text(r.journey_id)} · ${text(r.name)}` },
  decision: { path: "/v1/decisions", value: (r) => r.decision_id },
};

/** The options of a page of rows, those without a value left out. */
export function optionsOf(source: Source, page: Page<Row>): PickerOption[] {
  return page.items.flatMap((row) => {
    const value = source.value(row);
    if (typeof value !== "string" || !value) return [];
    return [{ value, label: source.label ? source.label(row) : value }];
  });
}

const cache = new Map<string, Promise<PickerOption[]>>();

/** The API's list for a kind, fetched once per page load (again after a failure). */
export function loadOptions(kind: string): Promise<PickerOption[]> {
  const source = SOURCES[kind];
  if (!source) return Promise.resolve([]);
  let pending = cache.get(kind);
  if (!pending) {
    pending = request<Page<Row>>(source.path).then((page) => optionsOf(source, page));
    pending.catch(() => cache.delete(kind));
    cache.set(kind, pending);
  }
  return pending;
}

/** Forget the fetched lists (after the user saved a template elsewhere, in tests). */
export const forgetOptions = (): void => cache.clear();

const nodesOf = (definition: unknown): Record<string, unknown> => asObject(asObject(definition)?.nodes) ?? {};

/** The node ids of a draft, in its order: what a node reference picks from. */
export const draftNodeIds = (definition: unknown): string[] => Object.keys(nodesOf(definition));

/** The event names a draft mentions (entry, waits, exits), sorted: what an event field suggests. */
export function draftEventNames(definition: unknown): string[] {
  const root = asObject(definition) ?? {};
  const names = [asObject(root.entry)?.event, ...(Array.isArray(root.exit_on) ? root.exit_on : [])];
  for (const node of Object.values(nodesOf(definition))) names.push(asObject(node)?.event);
  return [...new Set(names.filter((n): n is string => typeof n === "string" && n !== ""))].sort();
}
