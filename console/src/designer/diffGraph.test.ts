import { describe, expect, it } from "vitest";

import type { JourneyDefinition } from "../api/types";
import { edgeKey } from "../canvas/path";
import { graphDiff } from "./diff";
import { diffGraph } from "./diffGraph";

const live: JourneyDefinition = {
  id: "j",
  start: "hello",
  nodes: {
    hello: { type: "message", channel: "email", template: "hi", next: "old" },
    old: { type: "wait", duration: "P1D", next: "done" },
    done: { type: "end" },
  },
};
const draft: JourneyDefinition = {
  id: "j",
  start: "hello",
  nodes: {
    hello: { type: "message", channel: "email", template: "hello", next: "fresh" },
    fresh: { type: "wait", duration: "P2D", next: "done" },
    done: { type: "end" },
  },
};

describe("diffGraph", () => {
  it("draws the removed nodes and edges beside the draft's, each marked", () => {
    const drawn = diffGraph(live, draft, graphDiff(live, draft));
    expect(drawn.graph.nodes.map((n) => n.id)).toEqual(["hello", "fresh", "done", "old"]);
    expect(drawn.graph.edges.map((e) => edgeKey(e.source, e.target))).toEqual(
      [edgeKey("hello", "fresh"), edgeKey("fresh", "done"), edgeKey("old", "done"), edgeKey("hello", "old")],
    );
    expect(Object.fromEntries(drawn.nodes)).toEqual({ fresh: "added", old: "removed", hello: "changed" });
    expect(drawn.edges.get(edgeKey("hello", "old"))).toBe("removed");
    expect(drawn.edges.get(edgeKey("hello", "fresh"))).toBe("added");
    expect(drawn.edges.has(edgeKey("fresh", "done"))).toBe(true);
  });
});
