// The graph the diff canvas draws: the draft's nodes and edges plus the live version's removed
// ones, each marked added, removed or changed. Pure.

import type { JourneyDefinition } from "../api/types";
import { journeyGraph, type GraphEdge, type JourneyGraph } from "../canvas/graph";
import { edgeKey } from "../canvas/path";
import type { GraphDiff } from "./diff";

export type Mark = "added" | "removed" | "changed";

export interface DiffGraph {
  graph: JourneyGraph;
  /** By node id; unmarked nodes are the same in both. */
  nodes: ReadonlyMap<string, Mark>;
  /** By edgeKey(source, target). */
  edges: ReadonlyMap<string, Mark>;
}

function removedEdges(graph: JourneyGraph, diff: GraphDiff): GraphEdge[] {
  const drawn = new Set(graph.edges.map((e) => edgeKey(e.source, e.target)));
  return diff.edges.removed
    .filter((e) => !drawn.has(edgeKey(e.source, e.target)))
    .map((e) => ({ ...e, id: `removed:${e.source}->${e.target}`, path: null }));
}

export function diffGraph(live: JourneyDefinition | null, draft: JourneyDefinition, diff: GraphDiff): DiffGraph {
  const gone = Object.fromEntries(diff.nodes.removed.map((id) => [id, live?.nodes[id]]).filter(([, n]) => n));
  const drawn = journeyGraph({ ...draft, nodes: { ...draft.nodes, ...gone } });
  const graph = { ...drawn, edges: [...drawn.edges, ...removedEdges(drawn, diff)] };
  const nodes = new Map<string, Mark>([
    ...diff.nodes.added.map((id): [string, Mark] => [id, "added"]),
    ...diff.nodes.removed.map((id): [string, Mark] => [id, "removed"]),
    ...diff.nodes.changed.map((c): [string, Mark] => [c.id, "changed"]),
  ]);
  const edges = new Map<string, Mark>([
    ...diff.edges.added.map((e): [string, Mark] => [edgeKey(e.source, e.target), "added"]),
    ...diff.edges.removed.map((e): [string, Mark] => [edgeKey(e.source, e.target), "removed"]),
  ]);
  return { graph, nodes, edges };
}
