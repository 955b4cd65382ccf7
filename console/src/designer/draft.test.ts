import { describe, expect, it } from "vitest";

import {
  addNode,
  connect,
  copyNodes,
  definitionOf,
  draftText,
  freeSpot,
  layoutDraft,
  parseDraft,
  pasteNodes,
  removeNodes,
  replaceDefinition,
  setIn,
  type Draft,
} from "./draft";
import { slotsOf } from "./testing";

const WRITTEN = `# The cart journey, as a person wrote it.
id: cart
entry: {event: cart.updated} # who enters
start: wait_order
nodes:
  # first, give them an hour
  wait_order:
    type: wait_for_event
    event: order.completed
    timeout: PT1H
    on_event: done # bought: nothing to do
    on_timeout: remind
  remind: {type: message, channel: log, template: cart-reminder, next: big_cart}
  big_cart:
    type: condition
    branches: [{when: "event.properties.total > 100", next: done}]
    otherwise: done
  done: {type: end}
`;

function parsed(text: string): Draft {
  const { draft, error } = parseDraft(text);
  if (!draft) throw new Error(error);
  return draft;
}

describe("the YAML round trip", () => {
  it("gives back the text as written when nothing changed", () => {
    expect(draftText(parsed(WRITTEN), "yaml")).toBe(WRITTEN);
  });

  it("keeps comments and key order where a change does not touch them", () => {
    let draft = setIn(parsed(WRITTEN), ["nodes", "wait_order", "timeout"], "PT2H");
    draft = connect(draft, "remind", ["next"], "done");
    draft = setIn(draft, ["nodes", "big_cart", "otherwise"], undefined);
    expect(draftText(draft, "yaml")).toBe(`# The cart journey, as a person wrote it.
id: cart
entry: {event: cart.updated} # who enters
start: wait_order
nodes:
  # first, give them an hour
  wait_order:
    type: wait_for_event
    event: order.completed
    timeout: PT2H
    on_event: done # bought: nothing to do
    on_timeout: remind
  remind: {type: message, channel: log, template: cart-reminder, next: done}
  big_cart:
    type: condition
    branches: [{when: "event.properties.total > 100", next: done}]
  done: {type: end}
`);
  });

  it("changes a commented value in place, comment kept, and edits inside a new node", () => {
    let draft = setIn(parsed(WRITTEN), ["nodes", "wait_order", "on_event"], "remind");
    expect(draftText(draft, "yaml")).toContain("    on_event: remind # bought: nothing to do\n");
    draft = addNode(draft, "wait", { x: 0, y: 0 }).draft;
    draft = setIn(draft, ["nodes", "wait", "duration"], "PT1H");
    draft = connect(draft, "wait", ["next"], "done");
    expect(draftText(draft, "yaml").endsWith("  wait:\n    type: wait\n    duration: PT1H\n    next: done\n")).toBe(true);
  });

  it("never changes the draft it was given", () => {
    const draft = parsed(WRITTEN);
    setIn(draft, ["id"], "other");
    expect(draftText(draft, "yaml")).toBe(WRITTEN);
  });

  it("applies an edit of the JSON view as the changed keys only", () => {
    const draft = parsed(WRITTEN);
    const definition = structuredClone(definitionOf(draft)) as { nodes: Record<string, Record<string, unknown>> };
    definition.nodes.remind = { ...definition.nodes.remind, template: "second-reminder" };
    const text = draftText(replaceDefinition(draft, definition), "yaml");
    expect(text).toBe(WRITTEN.replace("template: cart-reminder", "template: second-reminder"));
  });

  it("answers a parse error and no draft for broken YAML or a non-mapping", () => {
    expect(parseDraft("nodes: [1,\n").error).toContain("Flow sequence");
    expect(parseDraft("- a\n").error).toBe("the definition must be a mapping (id, entry, start, nodes …)");
  });

  it("writes JSON from the same document", () => {
    expect(draftText(parsed("id: a\nstart: x # c\n"), "json")).toBe('{\n  "id": "a",\n  "start": "x"\n}\n');
  });
});

describe("editing the graph", () => {
  it("adds a node with an id made unique from its type, at its position", () => {
    const first = addNode(parsed(WRITTEN), "message", { x: 5, y: 6 });
    const second = addNode(first.draft, "message", { x: 1, y: 2 });
    expect([first.id, second.id]).toEqual(["message", "message_2"]);
    expect(second.draft.positions).toEqual({ message: { x: 5, y: 6 }, message_2: { x: 1, y: 2 } });
    expect(draftText(second.draft, "yaml").endsWith("  done: {type: end}\n  message:\n    type: message\n  message_2:\n    type: message\n")).toBe(true);
  });

  it("removing a node clears every reference to it, the start included", () => {
    const draft = removeNodes(parsed(WRITTEN), ["done", "wait_order"], slotsOf);
    expect(definitionOf(draft)).toEqual({
      id: "cart",
      entry: { event: "cart.updated" },
      nodes: {
        remind: { type: "message", channel: "log", template: "cart-reminder", next: "big_cart" },
        big_cart: { type: "condition", branches: [{ when: "event.properties.total > 100" }] },
      },
    });
  });

  it("connects a list's '+' slot by adding an item", () => {
    const draft = connect(parsed(WRITTEN), "big_cart", ["branches", 1, "next"], "remind");
    expect(draftText(draft, "yaml")).toContain(
      'branches: [{when: "event.properties.total > 100", next: done}, {next: remind}]',
    );
  });

  it("pastes a copy with fresh ids: edges inside the copy follow it, edges out are dropped", () => {
    const start = { ...parsed(WRITTEN), positions: { remind: { x: 0, y: 100 }, big_cart: { x: 0, y: 200 } } };
    const clip = copyNodes(start, ["remind", "big_cart"]);
    const { draft, ids } = pasteNodes(start, clip, slotsOf);
    expect(ids).toEqual(["remind_2", "big_cart_2"]);
    const nodes = (definitionOf(draft) as { nodes: Record<string, unknown> }).nodes;
    expect(nodes.remind_2).toEqual({ type: "message", channel: "log", template: "cart-reminder", next: "big_cart_2" });
    expect(nodes.big_cart_2).toEqual({ type: "condition", branches: [{ when: "event.properties.total > 100" }] });
    expect(nodes.remind).toEqual({ type: "message", channel: "log", template: "cart-reminder", next: "big_cart" });
    expect(draft.positions.remind_2).toEqual({ x: 280, y: 140 });
    expect(draft.positions.big_cart_2).toEqual({ x: 280, y: 240 });
  });

  it("lays out every node from the top, edges downwards", () => {
    const { positions } = layoutDraft(parsed(WRITTEN), slotsOf);
    expect(Object.keys(positions)).toEqual(["wait_order", "remind", "big_cart", "done"]);
    const y = (id: string): number => positions[id]?.y ?? NaN;
    expect(y("wait_order")).toBeLessThan(y("remind"));
    expect(y("remind")).toBeLessThan(y("big_cart"));
    expect(y("big_cart")).toBeLessThan(y("done"));
  });
});

describe("a new node's place", () => {
  it("is the point asked for when clear, else the first clear one below it", () => {
    const positions = { a: { x: 0, y: 0 }, b: { x: 100, y: 200 } };
    expect(freeSpot(positions, { x: 600, y: 0 })).toEqual({ x: 600, y: 0 });
    expect(freeSpot(positions, { x: 50, y: 10 })).toEqual({ x: 50, y: 410 });
  });
});
