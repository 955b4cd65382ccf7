// What the form tests share: the expression names as the server lists them (a few), an
// environment with fixed lists instead of the API, and a draft with a condition.

import { screen, within } from "@testing-library/react";

import type { FormEnv } from "./env";
import type { ExpressionNames } from "./names";
import type { PickerOption } from "./pickers";

export const NAMES: ExpressionNames = {
  roots: [
    { name: "event", doc: "The event that entered the profile.", fields: ["event_id", "name", "profile_id", "timestamp", "properties"] },
    { name: "events", doc: "The last event received by name.", fields: [] },
    { name: "now", doc: "The current time.", fields: [] },
    { name: "profile", doc: "The profile in the journey.", fields: ["profile_id", "email", "phone", "timezone", "attributes", "audiences", "locale"] },
    { name: "vars", doc: "What nodes produced, by node id.", fields: [] },
  ],
  helpers: [
    { name: "days", doc: "`now + days(2)`.", signature: "days(n)" },
    { name: "duration", doc: "`now + duration('P1M')`.", signature: "duration(text)" },
  ],
  filters: [
    { name: "upper", doc: "Convert a value to uppercase.", signature: "upper()" },
    { name: "length", doc: "Return the number of items in a container.", signature: "length()" },
  ],
  tests: [{ name: "defined", doc: "Return true if the variable is defined", signature: "defined()" }],
};

export const OPTIONS: Record<string, PickerOption[]> = {
  template: [
    { value: "cart-reminder", label: "cart-reminder · email" },
    { value: "cart-sms", label: "cart-sms · sms" },
  ],
};

export const ENV: FormEnv = {
  nodeIds: ["big_cart", "email", "done"],
  eventNames: ["cart.updated", "order.completed"],
  options: (kind) => Promise.resolve(OPTIONS[kind] ?? []),
  names: () => Promise.resolve(NAMES),
};

export const CART = {
  id: "abandoned-cart",
  name: "Abandoned cart",
  entry: { event: "cart.updated", when: "event.properties.total > 0" },
  timeout: "P90D",
  start: "big_cart",
  nodes: {
    big_cart: {
      type: "condition",
      branches: [
        { when: "event.properties.total > 100", next: "email" },
        { when: "profile.attributes.vip", next: "email" },
      ],
      otherwise: "done",
    },
    email: { type: "message", channel: "email", template: "cart-reminder", next: "done" },
    done: { type: "end" },
  },
};

/** `value` at `path` in a copy of `doc` (undefined deletes; a list item is spliced out). */
export function setPath(doc: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const base: unknown = typeof head === "number" ? (Array.isArray(doc) ? doc : []) : doc && typeof doc === "object" ? doc : {};
  const inner = setPath((base as Record<string | number, unknown>)[head], rest, value);
  if (Array.isArray(base)) {
    const copy = [...(base as unknown[])];
    if (inner === undefined && rest.length === 0) copy.splice(Number(head), 1);
    else copy[Number(head)] = inner;
    return copy;
  }
  const entries = Object.entries(base as Record<string, unknown>).filter(([key]) => key !== head);
  const replaced = Object.entries(base as Record<string, unknown>).map(([key, v]) => [key, key === head ? inner : v]);
  if (inner === undefined && rest.length === 0) return Object.fromEntries(entries);
  return head in (base as object) ? Object.fromEntries(replaced) : { ...(base as object), [head]: inner };
}

/** The duration helper's "Amount" or "Unit" beside the field titled `title`. */
export function helperOf(title: string, part: "Amount" | "Unit"): HTMLElement {
  const field = screen.getByLabelText(title).closest<HTMLElement>(".field");
  if (!field) throw new Error(`no field ${title}`);
  return within(field).getByLabelText(part);
}
