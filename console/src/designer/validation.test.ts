import { describe, expect, it } from "vitest";

import { formatPath, nodeOfPath, parseProblemPath, placeOf, problemsByNode } from "./validation";

describe("parseProblemPath", () => {
  it.each([
    ["nodes.big_cart.branches[0].when", ["nodes", "big_cart", "branches", 0, "when"]],
    ["entry.when", ["entry", "when"]],
    ["nodes.x", ["nodes", "x"]],
    ["start", ["start"]],
    ["nodes.a.paths[12].next", ["nodes", "a", "paths", 12, "next"]],
    ['nodes.a.set["a.b"]', ["nodes", "a", "set", "a.b"]],
    ['nodes["Bad Node!"]', ["nodes", "Bad Node!"]],
    ['nodes.a.set["say \\"hi\\""]', ["nodes", "a", "set", 'say "hi"']],
    ["nodes.wait-2.on_timeout", ["nodes", "wait-2", "on_timeout"]],
    ["", []],
  ])("%s", (text, parts) => {
    expect(parseProblemPath(text)).toEqual(parts);
  });

  it("keeps what it cannot read as one key rather than losing it", () => {
    expect(parseProblemPath("nodes.a.b c")).toEqual(["nodes", "a", "b", " c"]);
  });

  it("reads back what formatPath writes", () => {
    const path = ["nodes", "x y", "variants", 3, "next"];
    expect(formatPath(path)).toBe('nodes["x y"].variants[3].next');
    expect(parseProblemPath(formatPath(path))).toEqual(path);
  });
});

describe("nodeOfPath and placeOf", () => {
  it("names the node of a path under nodes, and none otherwise", () => {
    expect(nodeOfPath(["nodes", "big_cart", "branches", 0, "when"])).toBe("big_cart");
    expect(nodeOfPath(["nodes"])).toBeNull();
    expect(nodeOfPath(["entry", "when"])).toBeNull();
  });

  it("gives the field inside the node", () => {
    expect(placeOf({ path: "nodes.big_cart.branches[0].when", message: "m" })).toEqual({
      nodeId: "big_cart",
      path: ["nodes", "big_cart", "branches", 0, "when"],
      field: "branches[0].when",
    });
    expect(placeOf({ path: "nodes.remind", message: "unreachable from start" }).field).toBe("");
    expect(placeOf({ path: "entry.when", message: "m" })).toEqual({ nodeId: null, path: ["entry", "when"], field: "entry.when" });
  });
});

describe("problemsByNode", () => {
  it("attaches each problem to its node and the rest to the journey settings", () => {
    const problems = [
      { path: "nodes.remind.next", message: "unknown node 'nowhere'" },
      { path: "entry.when", message: "invalid expression" },
      { path: "nodes.big_cart.branches[0].when", message: "invalid expression" },
      { path: "nodes.remind.template", message: "unknown template 'x'" },
      { path: "nodes", message: "must be a mapping" },
      { path: "name", message: "required" },
    ];
    const { nodes, settings } = problemsByNode(problems);
    expect([...nodes.keys()]).toEqual(["remind", "big_cart"]);
    expect(nodes.get("remind")?.map((p) => p.path)).toEqual(["nodes.remind.next", "nodes.remind.template"]);
    expect(nodes.get("big_cart")).toEqual([problems[2]]);
    expect(settings.map((p) => p.path)).toEqual(["entry.when", "nodes", "name"]);
  });

  it("is empty for no problems", () => {
    const { nodes, settings } = problemsByNode([]);
    expect(nodes.size).toBe(0);
    expect(settings).toEqual([]);
  });
});
