// Reading the journey JSON Schema for the forms: `$ref` resolved, `anyOf` with null read as
// "optional", a node type's definition found by its `type` constant, and every field
// classified into the input that edits it. The forms are drawn from this alone, so a new
// node type or field needs no UI code. Pure.

import type { DesignProblem, DocPath } from "../types";

export type JsonSchema = Readonly<Record<string, unknown>>;

export type ExpressionMode = "expression" | "template";

/** What input a field gets. Objects keep their schema: their fields are read when drawn. */
export type FieldKind =
  | { kind: "string"; format: string | null; examples: string[] }
  | { kind: "integer"; minimum: number | null; maximum: number | null }
  | { kind: "number"; minimum: number | null; maximum: number | null }
  | { kind: "boolean" }
  | { kind: "enum"; options: string[] }
  | { kind: "duration"; examples: string[] }
  | { kind: "expression"; mode: ExpressionMode }
  | { kind: "reference"; ref: string }
  | { kind: "node" }
  | { kind: "object"; schema: JsonSchema }
  | { kind: "array"; item: FieldKind }
  | { kind: "map"; value: FieldKind }
  | { kind: "json" };

/** One field of an object: its key, label, help and kind. */
export interface FieldSpec {
  key: string;
  title: string;
  description: string | null;
  required: boolean;
  /** Its schema allows null (`anyOf` with null): leaving it empty removes the key. */
  optional: boolean;
  default: unknown;
  type: FieldKind;
}

export const REF_HINT = "x-wayline-ref";
export const KIND_HINT = "x-wayline-kind";
const DEFS_PREFIX = "#/$defs/";

export const asObject = (value: unknown): Record<string, unknown> | null =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

const numberOr = (value: unknown): number | null => (typeof value === "number" ? value : null);

/** The schema a `$ref` points at (only local `#/$defs/…` references); others as they are. */
export function deref(root: JsonSchema, schema: unknown): JsonSchema {
  let s = asObject(schema) ?? {};
  for (let depth = 0; depth < 32 && typeof s.$ref === "string" && s.$ref.startsWith(DEFS_PREFIX); depth++) {
    const { $ref, ...rest } = s;
    const target = asObject(asObject(root.$defs)?.[($ref as string).slice(DEFS_PREFIX.length)]) ?? {};
    s = { ...target, ...rest }; // the field's own description and default win
  }
  return s;
}

const isNull = (root: JsonSchema, member: unknown): boolean => deref(root, member).type === "null";

/** `anyOf: [X, null]` read as an optional X (the outer description, default and hints kept). */
export function unwrapOptional(root: JsonSchema, schema: unknown): { schema: JsonSchema; optional: boolean } {
  const s = deref(root, schema);
  if (!Array.isArray(s.anyOf)) return { schema: s, optional: false };
  const others = s.anyOf.filter((m) => !isNull(root, m));
  if (others.length !== 1) return { schema: s, optional: others.length < s.anyOf.length };
  const outer = Object.fromEntries(Object.entries(s).filter(([key]) => key !== "anyOf"));
  return { schema: { ...deref(root, others[0]), ...outer }, optional: true };
}

function classifyHinted(s: JsonSchema): FieldKind | null {
  const ref = s[REF_HINT];
  if (ref === "node") return { kind: "node" };
  if (typeof ref === "string") return { kind: "reference", ref };
  const mode = s[KIND_HINT];
  if (mode === "expression" || mode === "template") return { kind: "expression", mode };
  if (s.format === "duration") return { kind: "duration", examples: strings(s.examples) };
  return null;
}

function classifyObject(root: JsonSchema, s: JsonSchema): FieldKind {
  if (asObject(s.properties)) return { kind: "object", schema: s };
  const values = s.additionalProperties;
  if (asObject(values)) return { kind: "map", value: classify(root, values) };
  return values === false ? { kind: "object", schema: s } : { kind: "map", value: { kind: "json" } };
}

/** The input a schema is edited with: hints first, then enums, then the JSON type. */
export function classify(root: JsonSchema, schema: unknown): FieldKind {
  const s = unwrapOptional(root, schema).schema;
  const hinted = classifyHinted(s);
  if (hinted) return hinted;
  const options = strings(s.enum);
  if (options.length > 0) return { kind: "enum", options };
  if (typeof s.const === "string") return { kind: "enum", options: [s.const] };
  switch (s.type) {
    case "string":
      return { kind: "string", format: typeof s.format === "string" ? s.format : null, examples: strings(s.examples) };
    case "integer":
    case "number":
      return { kind: s.type, minimum: numberOr(s.minimum), maximum: numberOr(s.maximum) };
    case "boolean":
      return { kind: "boolean" };
    case "array":
      return { kind: "array", item: classify(root, s.items) };
    case "object":
      return classifyObject(root, s);
    default:
      return asObject(s.properties) ? { kind: "object", schema: s } : { kind: "json" };
  }
}

/** `dry_run` → "Dry Run", the way pydantic titles a field. */
export const humanize = (key: string): string =>
  key
    .split("_")
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(" ");

/** The fields of an object schema in the schema's order, `skip` left out. */
export function fieldsOf(root: JsonSchema, schema: unknown, skip: readonly string[] = []): FieldSpec[] {
  const s = unwrapOptional(root, schema).schema;
  const required = new Set(strings(s.required));
  return Object.entries(asObject(s.properties) ?? {})
    .filter(([key]) => !skip.includes(key))
    .map(([key, prop]) => {
      const own = asObject(prop) ?? {};
      const { schema: inner, optional } = unwrapOptional(root, prop);
      const description = typeof inner.description === "string" ? inner.description : null;
      return {
        key,
        title: typeof own.title === "string" ? own.title : humanize(key),
        description,
        required: required.has(key),
        optional,
        default: inner.default,
        type: classify(root, prop),
      };
    });
}

/** The schema of the nodes map's values (`patternProperties` or `additionalProperties`). */
function nodeUnion(root: JsonSchema): JsonSchema {
  const nodes = deref(root, asObject(root.properties)?.nodes);
  const pattern = Object.values(asObject(nodes.patternProperties) ?? {})[0];
  return deref(root, pattern ?? nodes.additionalProperties);
}

const typeConst = (root: JsonSchema, def: JsonSchema): unknown => {
  const type = deref(root, asObject(def.properties)?.type);
  return type.const ?? strings(type.enum)[0];
};

/** Every node definition of the schema, by the constant of its `type`, in the schema's order. */
export function nodeDefinitions(root: JsonSchema): Map<string, JsonSchema> {
  const union = nodeUnion(root);
  const members = Array.isArray(union.oneOf) ? union.oneOf : Array.isArray(union.anyOf) ? union.anyOf : [];
  const defs = new Map<string, JsonSchema>();
  for (const member of members) {
    const def = deref(root, member);
    const type = typeConst(root, def);
    if (typeof type === "string") defs.set(type, def);
  }
  return defs;
}

/** The definition of node type `type`, or null if the schema has no such type. */
export const nodeDefinition = (root: JsonSchema, type: unknown): JsonSchema | null =>
  typeof type === "string" ? (nodeDefinitions(root).get(type) ?? null) : null;

/** A path as the validator writes it: ["nodes", "x", "branches", 0, "when"] → "nodes.x.branches[0].when". */
export const pathText = (path: DocPath): string =>
  path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");

/** The problems whose path is exactly `path`. */
export function problemsAt(problems: readonly DesignProblem[], path: DocPath): DesignProblem[] {
  const text = pathText(path);
  return problems.filter((p) => p.path === text);
}
