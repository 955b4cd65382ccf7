// The expressions and templates inside a node value (a branch's `when`, an action's
// `params`, an update's `set` …), found from the journey JSON Schema's `x-wayline-kind`
// hints, so a new node type's expressions need no code here. Pure.

import { asObject, classify, fieldsOf, nodeDefinition, type ExpressionMode, type FieldKind, type JsonSchema } from "./form/schema";
import type { DocPath } from "./types";

/** One expression or template string of a node: its path inside the node and its mode. */
export interface ExpressionAt {
  path: DocPath;
  mode: ExpressionMode;
  source: string;
}

/** Reads the expressions of a node value (anything: a half-written node gives what it has). */
export type ExpressionsOf = (node: unknown) => ExpressionAt[];

function collect(root: JsonSchema, kind: FieldKind, value: unknown, path: DocPath, out: ExpressionAt[]): void {
  if (kind.kind === "expression") {
    if (typeof value === "string") out.push({ path, mode: kind.mode, source: value });
  } else if (kind.kind === "object") {
    const object = asObject(value);
    if (object) for (const f of fieldsOf(root, kind.schema)) collect(root, f.type, object[f.key], [...path, f.key], out);
  } else if (kind.kind === "array") {
    if (Array.isArray(value)) value.forEach((item, i) => collect(root, kind.item, item, [...path, i], out));
  } else if (kind.kind === "map") {
    for (const [key, item] of Object.entries(asObject(value) ?? {})) collect(root, kind.value, item, [...path, key], out);
  }
}

/** An ExpressionsOf for the schema, with the definition of each node type looked up once. */
export function expressionReader(root: JsonSchema): ExpressionsOf {
  const cache = new Map<string, FieldKind | null>();
  return (node) => {
    const type = asObject(node)?.type;
    if (typeof type !== "string") return [];
    let kind = cache.get(type);
    if (kind === undefined) {
      const def = nodeDefinition(root, type);
      cache.set(type, (kind = def ? classify(root, def) : null));
    }
    const out: ExpressionAt[] = [];
    if (kind) collect(root, kind, node, [], out);
    return out;
  };
}
