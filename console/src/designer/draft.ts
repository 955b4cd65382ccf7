// The designer's working copy: a YAML Document (comments, key order and styles as written)
// plus the node positions. Every change returns a NEW draft made on a clone of the document,
// touching only the keys it changes, so what a person wrote elsewhere survives. Pure.

import { Document, isScalar, parseDocument } from "yaml";

import { layout } from "../canvas/layout";
import { asRecord, designGraph, nodesOf } from "./graph";
import type { SlotsOf } from "./slots";
import type { DocPath } from "./types";

export type Format = "yaml" | "json";
export interface Point {
  x: number;
  y: number;
}
export type Positions = Readonly<Record<string, Point>>;

export interface Draft {
  readonly doc: Document;
  readonly positions: Positions;
}

/** As written: flow maps stay `{a: 1}`, long lines are not folded. */
const TEXT_OPTIONS = { flowCollectionPadding: false, lineWidth: 0 } as const;

export type Parsed = { draft: Draft; error: null } | { draft: null; error: string };

export function parseDraft(text: string, positions: Positions = {}): Parsed {
  const doc = parseDocument(text, { prettyErrors: true });
  const error = doc.errors[0];
  if (error) return { draft: null, error: error.message };
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return { draft: null, error: "the definition must be a mapping (id, entry, start, nodes …)" };
  return { draft: { doc, positions }, error: null };
}

/** A draft of a plain definition (a stored draft from the API), laid out as block YAML. */
export const draftOf = (definition: unknown, positions: Positions = {}): Draft => ({
  doc: new Document(definition),
  positions,
});

const plain = new WeakMap<Document, unknown>();

/** The definition as plain JSON (what the validator and the API take). */
export function definitionOf(draft: Draft): unknown {
  let value = plain.get(draft.doc);
  if (value === undefined) plain.set(draft.doc, (value = draft.doc.toJS() ?? {}));
  return value;
}

export function draftText(draft: Draft, format: Format): string {
  if (format === "json") return `${JSON.stringify(definitionOf(draft), null, 2)}\n`;
  return draft.doc.toString(TEXT_OPTIONS);
}

export type Edit = (doc: Document) => void;

/** A new draft whose document is a clone changed by `edit`. */
export function edited(draft: Draft, edit: Edit, positions: Positions = draft.positions): Draft {
  const doc = draft.doc.clone();
  edit(doc);
  return { doc, positions };
}

/** Set or delete one value. A scalar replacing a scalar is changed in place (its comment and
 * quoting stay); anything else goes in as YAML nodes, so later edits can reach inside it. */
export function write(doc: Document, path: DocPath, value: unknown): void {
  if (value === undefined) return void doc.deleteIn(path);
  const old = doc.getIn(path, true);
  if (isScalar(old) && (value === null || typeof value !== "object")) old.value = value;
  else doc.setIn(path, doc.createNode(value));
}

/** Set one value (undefined deletes the key); comments and order elsewhere are kept. */
export const setIn = (draft: Draft, path: DocPath, value: unknown): Draft => edited(draft, (doc) => write(doc, path, value));

export const deleteIn = (draft: Draft, path: DocPath): Draft => edited(draft, (doc) => doc.deleteIn(path));

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The smallest set of writes that turns `before` into `after`, keys first to last. */
function changes(before: unknown, after: unknown, path: DocPath, out: [DocPath, unknown][]): void {
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const key of Object.keys(before)) if (!(key in after)) out.push([[...path, key], undefined]);
    for (const [key, value] of Object.entries(after)) changes(before[key], value, [...path, key], out);
  } else if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    after.forEach((value, i) => changes(before[i], value, [...path, i], out));
  } else out.push([path, after]);
}

/** The draft made to equal `definition` (an edit of the JSON view) by changing only what differs. */
export function replaceDefinition(draft: Draft, definition: unknown): Draft {
  const out: [DocPath, unknown][] = [];
  changes(definitionOf(draft), definition, [], out);
  if (out.some(([path]) => path.length === 0)) return draftOf(definition, draft.positions);
  return out.length ? edited(draft, (doc) => out.forEach(([path, value]) => write(doc, path, value))) : draft;
}

/** `base`, or `base_2`, `base_3` … the first not taken. */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  const stem = base.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 56) || "node";
  if (!taken.has(stem)) return stem;
  let n = 2;
  while (taken.has(`${stem}_${n}`)) n++;
  return `${stem}_${n}`;
}

const idsOf = (draft: Draft): Set<string> => new Set(Object.keys(nodesOf(definitionOf(draft))));

/** A node of `type` at `at`, with an id made from its type; answers the draft and the id. */
export function addNode(draft: Draft, type: string, at: Point, id?: string): { draft: Draft; id: string } {
  const chosen = uniqueId(id ?? type, idsOf(draft));
  const next = edited(draft, (doc) => write(doc, ["nodes", chosen], { type }), { ...draft.positions, [chosen]: at });
  return { draft: next, id: chosen };
}

/** The slots of every node pointing at one of `ids`, as full paths. */
function referencesTo(definition: unknown, ids: ReadonlySet<string>, slotsOf: SlotsOf): DocPath[] {
  return Object.entries(nodesOf(definition)).flatMap(([source, node]) =>
    slotsOf(node)
      .filter((s) => s.target !== null && ids.has(s.target))
      .map((s) => ["nodes", source, ...s.path]),
  );
}

const without = (positions: Positions, ids: ReadonlySet<string>): Positions =>
  Object.fromEntries(Object.entries(positions).filter(([id]) => !ids.has(id)));

/** Remove nodes; every slot (and the start) that pointed at one of them is cleared. */
export function removeNodes(draft: Draft, ids: readonly string[], slotsOf: SlotsOf): Draft {
  const gone = new Set(ids);
  const definition = definitionOf(draft);
  const refs = referencesTo(definition, gone, slotsOf).filter((p) => !gone.has(String(p[1])));
  return edited(
    draft,
    (doc) => {
      for (const id of gone) doc.deleteIn(["nodes", id]);
      for (const path of refs) doc.deleteIn(path);
      if (gone.has(String(asRecord(definition).start))) doc.deleteIn(["start"]);
    },
    without(draft.positions, gone),
  );
}

/** Point a slot (path inside the source node) at `target`; null clears it. */
export const connect = (draft: Draft, source: string, slot: DocPath, target: string | null): Draft =>
  setIn(draft, ["nodes", source, ...slot], target ?? undefined);

export const setStart = (draft: Draft, id: string): Draft => setIn(draft, ["start"], id);

export const moveNodes = (draft: Draft, moved: Positions): Draft => ({
  doc: draft.doc,
  positions: { ...draft.positions, ...moved },
});

/** Copied nodes: their values (plain JSON) and positions, in the draft's order. */
export interface Clipboard {
  nodes: [string, unknown][];
  positions: Positions;
}

export function copyNodes(draft: Draft, ids: readonly string[]): Clipboard {
  const chosen = new Set(ids);
  const nodes = Object.entries(nodesOf(definitionOf(draft))).filter(([id]) => chosen.has(id));
  const positions = Object.fromEntries(Object.entries(draft.positions).filter(([id]) => chosen.has(id)));
  return { nodes: structuredClone(nodes), positions };
}

function setPlain(value: unknown, path: DocPath, to: string | undefined): void {
  let at: unknown = value;
  for (const key of path.slice(0, -1)) at = (at as Record<string | number, unknown> | undefined)?.[key];
  const last = path.at(-1);
  if (at === null || typeof at !== "object" || last === undefined) return;
  if (to === undefined) Reflect.deleteProperty(at, last);
  else Reflect.set(at, last, to);
}

/** Paste copies with fresh ids: slots between copied nodes follow the copies, slots to nodes
 * outside the copy are dropped. Answers the draft and the new ids. */
export function pasteNodes(
  draft: Draft,
  clip: Clipboard,
  slotsOf: SlotsOf,
  offset: Point = { x: 280, y: 40 },
): { draft: Draft; ids: string[] } {
  const taken = idsOf(draft);
  const renamed = new Map<string, string>();
  for (const [id] of clip.nodes) {
    const fresh = uniqueId(id, taken);
    taken.add(fresh);
    renamed.set(id, fresh);
  }
  const copies = clip.nodes.map(([id, node]): [string, unknown] => {
    const value = structuredClone(node);
    for (const s of slotsOf(value)) if (s.target !== null) setPlain(value, s.path, renamed.get(s.target));
    return [renamed.get(id) ?? id, value];
  });
  const positions = { ...draft.positions };
  for (const [id, p] of Object.entries(clip.positions)) {
    const fresh = renamed.get(id);
    if (fresh) positions[fresh] = { x: p.x + offset.x, y: p.y + offset.y };
  }
  const next = edited(draft, (doc) => copies.forEach(([id, value]) => write(doc, ["nodes", id], value)), positions);
  return { draft: next, ids: copies.map(([id]) => id) };
}

/** Every node placed by the automatic layout (dagre, as the read-only canvas). */
export function layoutDraft(draft: Draft, slotsOf: SlotsOf): Draft {
  const placed = layout(designGraph(definitionOf(draft), slotsOf));
  const positions = Object.fromEntries([...placed.nodes].map(([id, p]) => [id, { x: p.x, y: p.y }]));
  return { doc: draft.doc, positions };
}

/** Positions of the nodes the layout would place, for those that have none yet. */
export function placeMissing(draft: Draft, slotsOf: SlotsOf): Draft {
  const ids = Object.keys(nodesOf(definitionOf(draft)));
  if (ids.every((id) => draft.positions[id])) return draft;
  const laid = layoutDraft(draft, slotsOf).positions;
  const missing = Object.fromEntries(ids.filter((id) => !draft.positions[id]).map((id) => [id, laid[id] ?? { x: 0, y: 0 }]));
  return moveNodes(draft, missing);
}

const CLEAR = { x: 280, y: 190 };

/** `at`, or the first point below it clear of every placed node (a new node never hides one). */
export function freeSpot(positions: Positions, at: Point): Point {
  const taken = Object.values(positions);
  const clash = (p: Point): boolean => taken.some((q) => Math.abs(q.x - p.x) < CLEAR.x && Math.abs(q.y - p.y) < CLEAR.y);
  let spot = at;
  for (let i = 0; i < 200 && clash(spot); i++) spot = { x: spot.x, y: spot.y + 40 };
  return spot;
}
