// Where a validation problem is: its path ("nodes.big_cart.branches[0].when") read back into
// the definition's structure, the node it belongs to, and the problems grouped by node so
// the canvas marks each node and the settings panel shows the rest.

import type { DesignProblem, DocPath } from "./types";

// The segments journeys/problems.py format_path writes: a plain name (first, or after a
// dot), an index, or a JSON-quoted key for names with other characters.
const SEGMENT = /^(?:\.?([A-Za-z0-9_-]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;

/** "nodes.big_cart.branches[0].when" → ["nodes", "big_cart", "branches", 0, "when"]. */
export function parseProblemPath(path: string): DocPath {
  const parts: DocPath = [];
  let rest = path;
  while (rest) {
    const m = SEGMENT.exec(rest);
    if (!m) return [...parts, rest]; // not the validator's syntax: keep it whole, as a key
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    else parts.push(JSON.parse(m[3] ?? '""') as string);
    rest = rest.slice(m[0].length);
  }
  return parts;
}

const PLAIN = /^[A-Za-z0-9_-]+$/;

/** The inverse of parseProblemPath, as the API writes paths. */
export function formatPath(path: DocPath): string {
  return path.reduce<string>((text, part) => {
    if (typeof part === "number") return `${text}[${part}]`;
    if (PLAIN.test(part)) return text ? `${text}.${part}` : part;
    return `${text}[${JSON.stringify(part)}]`;
  }, "");
}

/** The node a path is in ("nodes.<id>…"), or null for the journey's own settings. */
export function nodeOfPath(path: DocPath): string | null {
  return path[0] === "nodes" && typeof path[1] === "string" ? path[1] : null;
}

export interface ProblemPlace {
  nodeId: string | null;
  path: DocPath;
  /** The path inside the node ("branches[0].when"), or the whole path off a node. */
  field: string;
}

export function placeOf(problem: DesignProblem): ProblemPlace {
  const path = parseProblemPath(problem.path);
  const nodeId = nodeOfPath(path);
  return { nodeId, path, field: formatPath(nodeId === null ? path : path.slice(2)) };
}

export interface GroupedProblems {
  /** The problems of each node, by node id, in the order the API gave them. */
  nodes: ReadonlyMap<string, DesignProblem[]>;
  /** Problems of the journey itself (entry, start, timeout …): its settings panel's. */
  settings: DesignProblem[];
}

export function problemsByNode(problems: readonly DesignProblem[]): GroupedProblems {
  const nodes = new Map<string, DesignProblem[]>();
  const settings: DesignProblem[] = [];
  for (const problem of problems) {
    const nodeId = placeOf(problem).nodeId;
    if (nodeId === null) settings.push(problem);
    else nodes.set(nodeId, [...(nodes.get(nodeId) ?? []), problem]);
  }
  return { nodes, settings };
}
