// The working definition as React Flow nodes and edges: one source handle per slot, one edge
// per filled slot, the start and the problems marked, a test run's path drawn. Pure.

import { MarkerType, type Edge, type Node } from "@xyflow/react";

import type { GraphNode } from "../canvas/graph";
import { nodeHeight, NODE_WIDTH } from "../canvas/layout";
import { edgeKey } from "../canvas/path";
import type { Positions } from "./draft";
import { designGraph, edgeId, nodesOf } from "./graph";
import type { Slot, SlotsOf } from "./slots";
import type { TakenEdges } from "./types";

export interface DesignNodeData extends Record<string, unknown> {
  node: GraphNode;
  slots: Slot[];
  start: boolean;
  problems: readonly string[];
  /** On a test run's path (visited), off it, or no run drawn (null). */
  visited: boolean | null;
}

export type DesignFlowNode = Node<DesignNodeData, "design">;

/** Room under the facts for the row of slot names. */
const SLOT_ROW = 26;

export const designNodeHeight = (facts: number): number => nodeHeight(facts) + SLOT_ROW;

export interface Overlay {
  problems: ReadonlyMap<string, readonly string[]>;
  taken: TakenEdges | null;
  visited: ReadonlySet<string> | null;
}

export const NO_OVERLAY: Overlay = { problems: new Map(), taken: null, visited: null };

export function designNodes(definition: unknown, positions: Positions, slotsOf: SlotsOf, overlay: Overlay): DesignFlowNode[] {
  const graph = designGraph(definition, slotsOf);
  const values = nodesOf(definition);
  return graph.nodes.map((node) => {
    const size = { width: NODE_WIDTH, height: designNodeHeight(node.facts.length) };
    return {
    id: node.id,
    type: "design",
    position: positions[node.id] ?? { x: 0, y: 0 },
    ...size,
    // Said measured, React Flow keeps the handles it measured when a node object is new
    // (every draft makes new ones): else edges and connections lose their ends.
    measured: size,
    data: {
      node,
      slots: slotsOf(values[node.id]),
      start: graph.start === node.id,
      problems: overlay.problems.get(node.id) ?? [],
      visited: overlay.visited ? overlay.visited.has(node.id) : null,
    },
    ariaLabel: `${node.id} ${node.type}`,
    };
  });
}

function edgeClass(taken: TakenEdges | null, key: string): string | undefined {
  if (!taken) return undefined;
  return taken.has(key) ? "taken" : "untaken";
}

export function designEdges(definition: unknown, slotsOf: SlotsOf, taken: TakenEdges | null): Edge[] {
  return designGraph(definition, slotsOf).edges.map((e) => {
    const key = edgeKey(e.source, e.target);
    const slot = e.id.slice(e.source.length + 1);
    return {
      id: edgeId(e.source, slot),
      source: e.source,
      target: e.target,
      sourceHandle: slot,
      label: e.label,
      type: "smoothstep",
      className: edgeClass(taken, key),
      animated: taken?.has(key) ?? false,
      markerEnd: { type: MarkerType.ArrowClosed },
      ariaLabel: `${e.source} ${e.label} to ${e.target}${taken?.has(key) ? " (taken)" : ""}`,
    };
  });
}
