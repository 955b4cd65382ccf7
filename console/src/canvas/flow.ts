// The laid-out graph as React Flow nodes and edges.

import { MarkerType, type Edge } from "@xyflow/react";

import type { PathCounts } from "../api/types";
import type { GraphEdge, JourneyGraph } from "./graph";
import type { JourneyFlowNode } from "./JourneyNode";
import type { Layout } from "./layout";
import { edgeKey } from "./path";

export function flowNodes(graph: JourneyGraph, placed: Layout): JourneyFlowNode[] {
  return graph.nodes.map((node) => {
    const at = placed.nodes.get(node.id);
    return {
      id: node.id,
      type: "journey",
      position: { x: at?.x ?? 0, y: at?.y ?? 0 },
      width: at?.width,
      height: at?.height,
      data: { node },
      ariaLabel: `${node.id} ${node.type}`,
      ariaRole: "button",
      draggable: false,
      connectable: false,
    };
  });
}

/** "· 42%" of the profiles that took this split or experiment path. */
function share(path: string | null, paths: PathCounts[] | undefined): string {
  if (!path || !paths) return "";
  const total = paths.reduce((sum, p) => sum + p.profiles, 0);
  const mine = paths.find((p) => p.path === path)?.profiles ?? 0;
  return total ? ` · ${Math.round((100 * mine) / total)}% of traffic` : "";
}

/** Edges with the same ends drawn as one (two split paths into one node), labels joined:
 * drawn apart they would lie on top of each other. */
function merged(graph: JourneyGraph, paths: ReadonlyMap<string, PathCounts[]>): (GraphEdge & { text: string })[] {
  const byEnds = new Map<string, GraphEdge & { text: string }>();
  for (const e of graph.edges) {
    const text = e.label + share(e.path, paths.get(e.source));
    const key = edgeKey(e.source, e.target);
    const seen = byEnds.get(key);
    byEnds.set(key, seen ? { ...seen, text: `${seen.text} / ${text}` } : { ...e, text });
  }
  return [...byEnds.values()];
}

function edgeClass(loop: boolean, taken: ReadonlySet<string> | null, key: string): string | undefined {
  const classes = [loop ? "loop" : "", taken ? (taken.has(key) ? "taken" : "untaken") : ""].filter(Boolean);
  return classes.length ? classes.join(" ") : undefined;
}

/** `taken`, when a profile's path is drawn: the edges it went along (the others fade). */
export function flowEdges(
  graph: JourneyGraph,
  placed: Layout,
  paths: ReadonlyMap<string, PathCounts[]>,
  taken: ReadonlySet<string> | null = null,
): Edge[] {
  return merged(graph, paths).map((e) => {
    const loop = placed.loops.has(e.id);
    const key = edgeKey(e.source, e.target);
    return {
      id: e.id,
      source: e.source,
      target: e.target,
      label: e.text,
      type: "smoothstep",
      sourceHandle: loop ? "loop-out" : null,
      targetHandle: loop ? "loop-in" : null,
      className: edgeClass(loop, taken, key),
      animated: taken?.has(key) ?? false,
      markerEnd: { type: MarkerType.ArrowClosed },
      ariaLabel: `${e.source} to ${e.target}: ${e.text}${taken?.has(key) ? " (taken)" : ""}`,
    };
  });
}
