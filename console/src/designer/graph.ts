// The working definition as the canvas's graph: its nodes with their key facts and one edge
// per filled slot. Pure; tolerant of half-written nodes (the designer shows invalid drafts).

import type { JourneyNodeDef } from "../api/types";
import type { JourneyGraph } from "../canvas/graph";
import { nodeFacts } from "../canvas/graph";
import type { SlotsOf } from "./slots";

export const asRecord = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** The nodes of a definition by id (an empty map when there are none yet). */
export const nodesOf = (definition: unknown): Record<string, unknown> => asRecord(asRecord(definition).nodes);

/** The read-only canvas's facts, or none while the node lacks what they read. */
function safeFacts(node: unknown): string[] {
  try {
    return nodeFacts(node as JourneyNodeDef).filter((f) => !f.includes("undefined"));
  } catch {
    return [];
  }
}

export const edgeId = (source: string, slot: string): string => `${source}|${slot}`;

export function designGraph(definition: unknown, slotsOf: SlotsOf): JourneyGraph {
  const nodes = Object.entries(nodesOf(definition));
  const ids = new Set(nodes.map(([id]) => id));
  const start = asRecord(definition).start;
  return {
    start: typeof start === "string" ? start : "",
    nodes: nodes.map(([id, node]) => {
      const description = asRecord(node).description;
      return {
        id,
        type: String(asRecord(node).type ?? "?"),
        label: typeof description === "string" ? description : null,
        facts: safeFacts(node),
        definition: node as JourneyNodeDef,
      };
    }),
    edges: nodes.flatMap(([source, node]) =>
      slotsOf(node)
        .filter((s) => s.target !== null && ids.has(s.target))
        .map((s) => ({ id: edgeId(source, s.key), source, target: s.target ?? "", label: s.label, path: null })),
    ),
  };
}
