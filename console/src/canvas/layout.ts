// Automatic layout of a journey graph with dagre: entry at the top, branches fanning out
// below, and the edges that go back up (loops) drawn back along the side.

import dagre from "@dagrejs/dagre";

import type { JourneyGraph } from "./graph";

export const NODE_WIDTH = 240;
const BASE_HEIGHT = 112;
const FACT_HEIGHT = 18;

export interface Placed {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  nodes: Map<string, Placed>;
  /** Edge ids that close a loop: they go from a node back to one above it. */
  loops: Set<string>;
}

export const nodeHeight = (facts: number): number => BASE_HEIGHT + FACT_HEIGHT * Math.min(facts, 4);

/** Edges that point back to a node still open in a depth-first walk from the start. */
export function backEdges(graph: JourneyGraph): Set<string> {
  const next = new Map<string, { id: string; target: string }[]>();
  for (const e of graph.edges) next.set(e.source, [...(next.get(e.source) ?? []), e]);
  const state = new Map<string, "open" | "done">();
  const loops = new Set<string>();
  const visit = (id: string): void => {
    state.set(id, "open");
    for (const e of next.get(id) ?? []) {
      const seen = state.get(e.target);
      if (seen === "open") loops.add(e.id);
      else if (seen === undefined) visit(e.target);
    }
    state.set(id, "done");
  };
  const roots = [graph.start, ...graph.nodes.map((n) => n.id)];
  for (const id of roots) if (!state.has(id)) visit(id);
  return loops;
}

export function layout(graph: JourneyGraph): Layout {
  const loops = backEdges(graph);
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 48, ranksep: 72, edgesep: 24 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: nodeHeight(n.facts.length) });
  for (const e of graph.edges) {
    if (!loops.has(e.id) && g.hasNode(e.target)) g.setEdge(e.source, e.target, { width: 120, height: 24 }, e.id);
  }
  dagre.layout(g);
  const nodes = new Map<string, Placed>();
  for (const n of graph.nodes) {
    const { x, y, width, height } = g.node(n.id);
    nodes.set(n.id, { id: n.id, x: x - width / 2, y: y - height / 2, width, height });
  }
  return { nodes, loops };
}
