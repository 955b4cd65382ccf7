import { describe, expect, it } from "vitest";

import type { PathCounts } from "../api/types";
import { flowEdges, flowNodes } from "./flow";
import { everyType } from "./fixtures";
import { journeyGraph } from "./graph";
import { layout } from "./layout";
import { edgeKey } from "./path";

describe("flow", () => {
  it("names each node '<id> <type>' and keeps the layout's positions", () => {
    const graph = journeyGraph(everyType);
    const placed = layout(graph);
    const nodes = flowNodes(graph, placed);
    expect(nodes.find((n) => n.id === "listen")?.ariaLabel).toBe("listen wait_for_event");
    for (const n of nodes) expect(n.position).toEqual({ x: placed.nodes.get(n.id)?.x, y: placed.nodes.get(n.id)?.y });
  });

  it("draws two paths into one node as one edge with both labels and their traffic", () => {
    const definition = {
      id: "two-paths",
      start: "ab",
      nodes: {
        ab: { type: "split" as const, paths: [{ name: "a", weight: 50, next: "end" }, { name: "b", weight: 50, next: "end" }] },
        end: { type: "end" as const },
      },
    };
    const graph = journeyGraph(definition);
    const counts: PathCounts[] = [
      { path: "a", profiles: 3, converted: null, goal_rate: null },
      { path: "b", profiles: 1, converted: null, goal_rate: null },
    ];
    const edges = flowEdges(graph, layout(graph), new Map([["ab", counts]]));
    expect(edges.map((e) => e.label)).toEqual(["a · 50% · 75% of traffic / b · 50% · 25% of traffic"]);
  });

  it("routes a loop through the side handles", () => {
    const graph = journeyGraph(everyType);
    const loop = flowEdges(graph, layout(graph), new Map()).find((e) => e.id === "listen->wait#1");
    expect([loop?.sourceHandle, loop?.targetHandle, loop?.className]).toEqual(["loop-out", "loop-in", "loop"]);
  });
});

describe("a drawn path", () => {
  it("marks the edges taken, animated, and fades the others", () => {
    const graph = journeyGraph(everyType);
    const placed = layout(graph);
    const first = graph.edges[0];
    if (!first) throw new Error("no edge");
    const edges = flowEdges(graph, placed, new Map(), new Set([edgeKey(first.source, first.target)]));
    const taken = edges.filter((e) => e.className?.includes("taken") && !e.className.includes("untaken"));
    expect(taken.map((e) => [e.source, e.target])).toEqual([[first.source, first.target]]);
    expect(taken[0]?.animated).toBe(true);
    expect(taken[0]?.ariaLabel).toContain("(taken)");
    expect(edges.filter((e) => e.className?.includes("untaken"))).toHaveLength(edges.length - 1);
    expect(flowEdges(graph, placed, new Map()).some((e) => e.className?.includes("taken"))).toBe(false);
  });
});
