// Renaming a node: its key in `nodes` renamed in place (where it was, with its comments), and
// every reference to it rewritten in the same draft, so a rename is one undo step: the slots
// pointing at it (read from the schema, as the canvas draws them), the journey's start, the
// fields naming it that are not ways out, the `vars` reads of what it produced, and its
// canvas position. Pure.

import { isMap, isScalar, type Document } from "yaml";

import { definitionOf, edited, write, type Draft, type Positions } from "./draft";
import type { ExpressionsOf } from "./expressionFields";
import { asRecord, nodesOf } from "./graph";
import { nodeIdProblem } from "./nodeId";
import type { SlotsOf } from "./slots";
import type { DocPath } from "./types";
import { renameVars } from "./varsRename";

/** How the references of a node are found: its slots and its expressions. */
export interface NodeReaders {
  slotsOf: SlotsOf;
  expressionsOf: ExpressionsOf;
}

/** Fields naming a node that are no way out of it, so the schema gives them no
 * `x-wayline-ref: node` (that hint draws an edge): they are listed here by node type.
 * A wait_for_event's `reaction.to` names the message node whose message it awaits. */
const NAMING_FIELDS: ReadonlyArray<{ type: string; path: DocPath }> = [{ type: "wait_for_event", path: ["reaction", "to"] }];

export type Renamed = { draft: Draft; error: null } | { draft: null; error: string };

type Write = [DocPath, string];

function valueAt(value: unknown, path: DocPath): unknown {
  return path.reduce<unknown>((at, key) => (at !== null && typeof at === "object" ? (at as Record<string | number, unknown>)[key] : undefined), value);
}

/** The writes inside one node (at `source`) that make its references to `from` name `to`. */
function nodeWrites(source: string, node: unknown, from: string, to: string, readers: NodeReaders): Write[] {
  const at = (path: DocPath): DocPath => ["nodes", source, ...path];
  const slots = readers.slotsOf(node).filter((s) => s.target === from).map((s): Write => [at(s.path), to]);
  const type = asRecord(node).type;
  const named = NAMING_FIELDS.filter((f) => f.type === type && valueAt(node, f.path) === from).map((f): Write => [at(f.path), to]);
  const expressions = readers.expressionsOf(node).flatMap((e): Write[] => {
    const renamed = renameVars(e.source, e.mode, from, to);
    return renamed === e.source ? [] : [[at(e.path), renamed]];
  });
  return [...slots, ...named, ...expressions];
}

/** Every write of the rename but the key's own, paths under the node's old key. */
function referenceWrites(definition: unknown, from: string, to: string, readers: NodeReaders): Write[] {
  const writes = Object.entries(nodesOf(definition)).flatMap(([source, node]) => nodeWrites(source, node, from, to, readers));
  if (asRecord(definition).start === from) writes.push([["start"], to]);
  return writes;
}

/** The key `from` of the `nodes` map renamed to `to` where it stands: its comments, its
 * place and its value untouched. */
function renameKey(doc: Document, from: string, to: string): void {
  const nodes = doc.get("nodes", true);
  if (!isMap(nodes)) return;
  const pair = nodes.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === from);
  if (!pair) return;
  if (isScalar(pair.key)) pair.key.value = to;
  else pair.key = doc.createNode(to);
}

/** The positions with `from`'s under `to`, in the same order. */
const movedPosition = (positions: Positions, from: string, to: string): Positions =>
  Object.fromEntries(Object.entries(positions).map(([id, p]) => [id === from ? to : id, p]));

/** Node `from` renamed to `to` with every reference to it, or why `to` is refused (not an
 * id the server accepts, or the id of another node). Renaming to the same id changes nothing. */
export function renameNode(draft: Draft, from: string, to: string, readers: NodeReaders): Renamed {
  const definition = definitionOf(draft);
  const ids = Object.keys(nodesOf(definition));
  if (!ids.includes(from)) return { draft: null, error: `there is no node ${from}` };
  const error = nodeIdProblem(from, to, ids);
  if (error) return { draft: null, error };
  if (to === from) return { draft, error: null };
  const writes = referenceWrites(definition, from, to, readers);
  const next = edited(
    draft,
    (doc) => {
      for (const [path, value] of writes) write(doc, path, value);
      renameKey(doc, from, to);
    },
    movedPosition(draft.positions, from, to),
  );
  return { draft: next, error: null };
}
