// A node's outgoing slots (next, otherwise, branches[i].next, holdout.next, on_event …), read
// from the journey JSON Schema: every field whose schema carries `"x-wayline-ref": "node"` is
// a way out, so a new node type or slot needs no UI code. Pure.

import type { DocPath } from "./types";

export type JsonSchema = Readonly<Record<string, unknown>>;

/** Where a slot sits in a node: `next`, `holdout.next`, or `next` of every item of `branches`. */
export interface SlotField {
  field: string;
  /** The key inside the field's object or items; null when the field itself is the slot. */
  sub: string | null;
  /** The field is a list: one slot per item, and one more to add an item. */
  many: boolean;
}

/** One slot of one node: its handle id, path inside the node, label and target (if set). */
export interface Slot {
  key: string;
  path: DocPath;
  label: string;
  target: string | null;
  /** The "+" slot of a list: connecting it adds an item. */
  adds: boolean;
}

/** Reads the slots of a node value (anything: a half-written node gives what it has). */
export type SlotsOf = (node: unknown) => Slot[];

const NODE_REF = "x-wayline-ref";

const asObject = (value: unknown): Record<string, unknown> | null =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

/** A `$ref` followed, and an `anyOf` with null reduced to its other member. */
export function resolve(root: JsonSchema, schema: unknown): Record<string, unknown> {
  let s = asObject(schema) ?? {};
  for (let i = 0; i < 16; i++) {
    const ref = s.$ref;
    const anyOf = Array.isArray(s.anyOf) ? s.anyOf.filter((m) => asObject(m)?.type !== "null") : null;
    if (typeof ref === "string" && ref.startsWith("#/$defs/")) {
      s = asObject(asObject(root.$defs)?.[ref.slice(8)]) ?? {};
    } else if (anyOf && anyOf.length === 1) {
      s = asObject(anyOf[0]) ?? {};
    } else return s;
  }
  return s;
}

const isNodeRef = (root: JsonSchema, schema: unknown): boolean => resolve(root, schema)[NODE_REF] === "node";

const propertiesOf = (s: Record<string, unknown>): [string, unknown][] => Object.entries(asObject(s.properties) ?? {});

/** The node definitions of the schema, by their `type` constant, in the schema's order. */
export function nodeDefs(root: JsonSchema): Map<string, Record<string, unknown>> {
  const defs = new Map<string, Record<string, unknown>>();
  for (const def of Object.values(asObject(root.$defs) ?? {})) {
    const type = asObject(asObject(asObject(def)?.properties)?.type)?.const;
    if (typeof type === "string") defs.set(type, asObject(def) ?? {});
  }
  return defs;
}

/** Every node type the schema knows, sorted: the palette. */
export const nodeTypes = (root: JsonSchema): string[] => [...nodeDefs(root).keys()].sort();

function fieldSlots(root: JsonSchema, field: string, schema: unknown): SlotField[] {
  if (isNodeRef(root, schema)) return [{ field, sub: null, many: false }];
  const s = resolve(root, schema);
  const many = s.type === "array";
  const inner = many ? resolve(root, s.items) : s;
  return propertiesOf(inner)
    .filter(([, p]) => isNodeRef(root, p))
    .map(([sub]) => ({ field, sub, many }));
}

/** The slot fields of a node type, in the order its schema lists them. */
export function slotFields(root: JsonSchema, type: string): SlotField[] {
  const def = nodeDefs(root).get(type);
  if (!def) return [];
  return propertiesOf(def).flatMap(([field, schema]) => fieldSlots(root, field, schema));
}

const text = (value: unknown): string | null => (typeof value === "string" && value ? value : null);

function itemSlots(f: SlotField & { sub: string }, items: unknown): Slot[] {
  const list = Array.isArray(items) ? items : [];
  const slots = list.map((item, i) => {
    const name = text(asObject(item)?.name);
    return {
      key: `${f.field}.${i}.${f.sub}`,
      path: [f.field, i, f.sub],
      label: name ?? `${f.field} ${i + 1}`,
      target: text(asObject(item)?.[f.sub]),
      adds: false,
    };
  });
  const add = { key: `${f.field}.+.${f.sub}`, path: [f.field, list.length, f.sub], label: `+ ${f.field}`, target: null, adds: true };
  return [...slots, add];
}

/** The slots of one node value for the fields of its type. */
export function slotsFor(fields: SlotField[], node: unknown): Slot[] {
  const value = asObject(node) ?? {};
  return fields.flatMap((f): Slot[] => {
    if (f.sub === null) return [{ key: f.field, path: [f.field], label: f.field.replace(/_/g, " "), target: text(value[f.field]), adds: false }];
    if (f.many) return itemSlots({ ...f, sub: f.sub }, value[f.field]);
    const target = text(asObject(value[f.field])?.[f.sub]);
    return [{ key: `${f.field}.${f.sub}`, path: [f.field, f.sub], label: f.field, target, adds: false }];
  });
}

/** A SlotsOf for the schema, with the fields of each type computed once. */
export function slotReader(root: JsonSchema): SlotsOf {
  const cache = new Map<string, SlotField[]>();
  return (node) => {
    const type = text(asObject(node)?.type) ?? "";
    let fields = cache.get(type);
    if (!fields) cache.set(type, (fields = slotFields(root, type)));
    return slotsFor(fields, node);
  };
}
