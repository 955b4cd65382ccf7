import { describe, expect, it } from "vitest";

import type { JourneyDefinition } from "../api/types";
import { journeyGraph, nodeFacts } from "./graph";

const withDecide: JourneyDefinition = {
  id: "offers",
  start: "offer",
  nodes: {
    offer: { type: "decide", decision: "welcome", next: "email", on_error: "end" },
    email: {
      type: "message",
      channel: "email",
      template: "hello",
      next: "end",
      send_time: { optimize: "opened", within: "PT12H" },
    },
    end: { type: "end" },
  },
};

describe("decide and send-time nodes", () => {
  it("draws a decide node's next and on_error edges", () => {
    const graph = journeyGraph(withDecide);
    const edges = graph.edges.filter((e) => e.source === "offer").map((e) => [e.target, e.label]);
    expect(edges).toEqual([
      ["email", "next"],
      ["end", "on error"],
    ]);
  });

  it("names the decision and the send-time goal among the key facts", () => {
    const { offer, email } = withDecide.nodes;
    if (!offer || !email) throw new Error("the fixture has both nodes");
    expect(nodeFacts(offer)).toEqual(["decision welcome"]);
    expect(nodeFacts(email)).toEqual([
      "email · hello",
      "best time to be opened within PT12H",
    ]);
  });
});
