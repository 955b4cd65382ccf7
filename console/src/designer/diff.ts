// What publishing would change: the draft against the live version, as a graph (nodes
// added, removed, changed with the fields that changed; edges added, removed; settings
// changed) and as lines of YAML. Pure: no React, no I/O.

import { stringify } from "yaml";

import type { JourneyDefinition } from "../api/types";
import { journeyGraph, type GraphEdge } from "../canvas/graph";
import { edgeKey } from "../canvas/path";

export interface NodeChange {
  id: string;
  /** Changed fields inside the node, as problem paths name them: "branches[0].when". */
  fields: string[];
}

export interface EdgeRef {
  source: string;
  target: string;
  label: string;
}

export interface GraphDiff {
  nodes: { added: string[]; removed: string[]; changed: NodeChange[] };
  edges: { added: EdgeRef[]; removed: EdgeRef[] };
  /** Changed top-level fields other than the nodes: "start", "entry.when", "exit_on[0]". */
  settings: string[];
}

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

const join = (prefix: string, key: string | number): string =>
  typeof key === "number" ? `${prefix}[${key}]` : prefix ? `${prefix}.${key}` : key;

/** Paths where `a` and `b` differ; a missing key and `null` count as the same. */
export function changedPaths(a: Json, b: Json, prefix = ""): string[] {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    return Array.from({ length: n }, (_, i) => changedPaths(a[i], b[i], join(prefix, i))).flat();
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => changedPaths(a[k], b[k], join(prefix, k)));
  }
  const same = (a ?? null) === (b ?? null) || JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return same ? [] : [prefix];
}

const nodesOf = (d: Json): Record<string, Json> => (isObject(d) && isObject(d.nodes) ? d.nodes : {});

function safeEdges(d: JourneyDefinition): GraphEdge[] {
  try {
    return journeyGraph(d).edges;
  } catch {
    return []; // a half-written node (a condition without branches yet): no edges to compare
  }
}

function edgesOf(d: Json): Map<string, EdgeRef> {
  const found = new Map<string, EdgeRef>();
  if (!isObject(d) || !isObject(d.nodes)) return found;
  for (const e of safeEdges(d as unknown as JourneyDefinition)) {
    const key = edgeKey(e.source, e.target);
    if (!found.has(key)) found.set(key, { source: e.source, target: e.target, label: e.label });
  }
  return found;
}

const only = <T>(from: Map<string, T>, not: Map<string, T>): T[] =>
  [...from].filter(([k]) => !not.has(k)).map(([, v]) => v);

function settingsOf(d: Json): Record<string, Json> {
  if (!isObject(d)) return {};
  return Object.fromEntries(Object.entries(d).filter(([k]) => k !== "nodes"));
}

/** The draft against the live version (null when none was published: all is added). */
export function graphDiff(live: Json | null, draft: Json): GraphDiff {
  const before = nodesOf(live);
  const after = nodesOf(draft);
  const changed = Object.keys(after)
    .filter((id) => id in before)
    .map((id) => ({ id, fields: changedPaths(before[id], after[id]) }))
    .filter((c) => c.fields.length > 0);
  const edgesBefore = edgesOf(live);
  const edgesAfter = edgesOf(draft);
  return {
    nodes: {
      added: Object.keys(after).filter((id) => !(id in before)),
      removed: Object.keys(before).filter((id) => !(id in after)),
      changed,
    },
    edges: { added: only(edgesAfter, edgesBefore), removed: only(edgesBefore, edgesAfter) },
    settings: live === null ? [] : changedPaths(settingsOf(live), settingsOf(draft)),
  };
}

/** Whether publishing the draft would change nothing the graph shows. */
export function unchanged(diff: GraphDiff): boolean {
  const { nodes, edges, settings } = diff;
  return [nodes.added, nodes.removed, nodes.changed, edges.added, edges.removed, settings].every((l) => l.length === 0);
}

export type LineTag = "same" | "added" | "removed";

export interface DiffLine {
  tag: LineTag;
  text: string;
}

/** Beyond this many cells the middle is shown as replaced rather than matched line by line. */
const MAX_CELLS = 4_000_000;

/** Longest-common-subsequence lengths of `a[i:]` against `b[j:]`, read with `get(i, j)`. */
function lcsTable(a: string[], b: string[]): (i: number, j: number) => number {
  const w = b.length + 1;
  const t = new Uint32Array((a.length + 1) * w);
  const get = (i: number, j: number): number => t[i * w + j] ?? 0;
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      t[i * w + j] = a[i] === b[j] ? get(i + 1, j + 1) + 1 : Math.max(get(i + 1, j), get(i, j + 1));
    }
  }
  return get;
}

const tagged = (tag: LineTag) => (text: string): DiffLine => ({ tag, text });

function middle(a: string[], b: string[]): DiffLine[] {
  if (a.length * b.length > MAX_CELLS) return [...a.map(tagged("removed")), ...b.map(tagged("added"))];
  const get = lcsTable(a, b);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [x, y] = [a[i] ?? "", b[j] ?? ""];
    if (x === y) {
      out.push({ tag: "same", text: x });
      i++;
      j++;
    } else if (get(i + 1, j) >= get(i, j + 1)) {
      out.push({ tag: "removed", text: x });
      i++;
    } else {
      out.push({ tag: "added", text: y });
      j++;
    }
  }
  return [...out, ...a.slice(i).map(tagged("removed")), ...b.slice(j).map(tagged("added"))];
}

const linesOf = (text: string): string[] => (text === "" ? [] : text.replace(/\n$/, "").split("\n"));

/** Line diff of two texts (LCS): each line of either, tagged same, added or removed. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = linesOf(before);
  const b = linesOf(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const same = (lines: string[]): DiffLine[] => lines.map((text) => ({ tag: "same", text }));
  return [
    ...same(a.slice(0, start)),
    ...middle(a.slice(start, a.length - end), b.slice(start, b.length - end)),
    ...same(a.slice(a.length - end)),
  ];
}

/** A definition as the YAML view shows it (empty for none). */
export const yamlOf = (definition: Json | null): string => (definition == null ? "" : stringify(definition, { lineWidth: 0 }));

/** The YAML line diff of two definitions. */
export const yamlDiff = (live: Json | null, draft: Json): DiffLine[] => lineDiff(yamlOf(live), yamlOf(draft));

export type Hunk = DiffLine[] | { skipped: number };

/** Long runs of unchanged lines folded to a count, `context` lines kept around each change. */
export function folded(lines: DiffLine[], context = 3): Hunk[] {
  const near = lines.map(() => false);
  lines.forEach((l, i) => {
    if (l.tag === "same") return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) near[k] = true;
  });
  const out: Hunk[] = [];
  let run: DiffLine[] = [];
  let skipped = 0;
  lines.forEach((l, i) => {
    if (near[i]) {
      if (skipped) out.push({ skipped });
      skipped = 0;
      run.push(l);
    } else {
      if (run.length) out.push(run);
      run = [];
      skipped++;
    }
  });
  if (run.length) out.push(run);
  if (skipped) out.push({ skipped });
  return out;
}
