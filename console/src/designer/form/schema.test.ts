import { describe, expect, it } from "vitest";

import journeySchema from "../../../../schemas/journey.schema.json";
import { classify, deref, fieldsOf, humanize, nodeDefinition, nodeDefinitions, pathText, problemsAt, type JsonSchema } from "./schema";

const root: JsonSchema = journeySchema;

function field(type: string, key: string) {
  const def = nodeDefinition(root, type);
  if (!def) throw new Error(type);
  const found = fieldsOf(root, def).find((f) => f.key === key);
  if (!found) throw new Error(`${type}.${key}`);
  return found;
}

describe("the committed journey schema", () => {
  it("knows every node type by its type constant", () => {
    expect([...nodeDefinitions(root).keys()].sort()).toEqual([
      "action", "condition", "decide", "end", "experiment", "fetch", "jump", "message", "split",
      "update_profile", "wait", "wait_for_event",
    ]);
    expect(nodeDefinition(root, "condition")?.description).toBe("Branch on expressions, first true wins; never blocks.");
    expect(nodeDefinition(root, "teleport")).toBeNull();
    expect(nodeDefinition(root, undefined)).toBeNull();
  });

  it("classifies references, expressions and durations by their hints", () => {
    expect(field("message", "template").type).toEqual({ kind: "reference", ref: "template" });
    expect(field("action", "action").type).toEqual({ kind: "reference", ref: "action" });
    expect(field("fetch", "source").type).toEqual({ kind: "reference", ref: "data_source" });
    expect(field("decide", "decision").type).toEqual({ kind: "reference", ref: "decision" });
    expect(field("jump", "journey").type).toEqual({ kind: "reference", ref: "journey" });
    expect(field("wait", "until")).toMatchObject({ optional: true, type: { kind: "expression", mode: "expression" } });
    expect(field("wait", "duration")).toMatchObject({ optional: true, required: false, type: { kind: "duration" } });
    expect(field("wait_for_event", "timeout")).toMatchObject({ required: true, title: "Timeout", type: { kind: "duration" } });
  });

  it("reads enums as selects, lists, maps and nested objects", () => {
    expect(field("wait_for_event", "reaction").type.kind).toBe("object");
    const reaction = field("wait_for_event", "reaction").type;
    if (reaction.kind !== "object") throw new Error("object");
    expect(fieldsOf(root, reaction.schema).find((f) => f.key === "kind")?.type).toEqual({
      kind: "enum",
      options: ["opened", "clicked", "delivered", "failed"],
    });
    const paths = field("split", "paths").type;
    expect(paths.kind).toBe("array");
    if (paths.kind !== "array" || paths.item.kind !== "object") throw new Error("array of objects");
    const path = fieldsOf(root, paths.item.schema);
    expect(path.map((f) => [f.key, f.type.kind, f.required])).toEqual([
      ["name", "string", true],
      ["weight", "integer", true],
      ["next", path[2]?.type.kind, true],
    ]);
    expect(path[1]?.type).toEqual({ kind: "integer", minimum: 0, maximum: 100 });
    expect(field("update_profile", "set").type).toEqual({ kind: "map", value: { kind: "expression", mode: "expression" } });
    expect(field("action", "params").type).toEqual({ kind: "map", value: { kind: "expression", mode: "template" } });
    expect(field("split", "sticky")).toMatchObject({ default: true, type: { kind: "boolean" } });
    expect(field("message", "quiet_hours")).toMatchObject({ title: "Quiet Hours", optional: true, type: { kind: "object" } });
    expect(field("wait", "until_time").type).toEqual({ kind: "string", format: "date-time", examples: [] });
    const days = field("wait", "next_weekday").type;
    if (days.kind !== "object") throw new Error("object");
    expect(fieldsOf(root, days.schema)[0]?.type).toEqual({
      kind: "array",
      item: { kind: "enum", options: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] },
    });
  });

  it("gives the settings: every top-level field, entry's filter and audience entry", () => {
    const settings = fieldsOf(root, root, ["id", "start", "nodes"]);
    expect(settings.map((f) => f.key)).toEqual([
      "name", "description", "entry", "reentry", "entry_window", "entry_cap", "exit_on",
      "exit_on_audience", "timeout", "dry_run",
    ]);
    const byKey = Object.fromEntries(settings.map((f) => [f.key, f]));
    expect(byKey.timeout).toMatchObject({ default: "P90D", type: { kind: "duration" } });
    expect(byKey.exit_on?.type).toEqual({ kind: "array", item: { kind: "reference", ref: "event" } });
    expect(byKey.exit_on_audience?.type).toEqual({ kind: "array", item: { kind: "reference", ref: "audience" } });
    expect(byKey.dry_run?.title).toBe("Dry Run");
    const entry = fieldsOf(root, deref(root, { $ref: "#/$defs/EntrySpec" }));
    expect(entry.map((f) => [f.key, f.type.kind])).toEqual([
      ["event", "reference"], ["audience", "object"], ["when", "expression"], ["key", "expression"],
    ]);
    const reentry = fieldsOf(root, deref(root, { $ref: "#/$defs/ReentrySpec" }));
    expect(reentry[0]).toMatchObject({ key: "mode", default: "never", type: { kind: "enum", options: ["never", "always", "after"] } });
  });
});

describe("schemas of any shape", () => {
  const tiny: JsonSchema = {
    $defs: { Target: { type: "string", "x-wayline-ref": "node" } },
    type: "object",
    required: ["to"],
    properties: {
      to: { $ref: "#/$defs/Target", description: "Where." },
      maybe: { anyOf: [{ $ref: "#/$defs/Target" }, { type: "null" }], title: "Perhaps" },
      anything: {},
      free: { type: "object", additionalProperties: true },
      either: { anyOf: [{ type: "string" }, { type: "number" }] },
    },
  };

  it("follows $ref, reads anyOf with null as optional, keeps the field's own description", () => {
    const fields = fieldsOf(tiny, tiny);
    expect(fields.map((f) => [f.key, f.title, f.required, f.optional, f.type.kind])).toEqual([
      ["to", "To", true, false, "node"],
      ["maybe", "Perhaps", false, true, "node"],
      ["anything", "Anything", false, false, "json"],
      ["free", "Free", false, false, "map"],
      ["either", "Either", false, false, "json"],
    ]);
    expect(fields[0]?.description).toBe("Where.");
    expect(classify(tiny, { type: "string", format: "duration" }).kind).toBe("duration");
  });

  it("names paths as the validator does and picks a field's problems", () => {
    expect(pathText(["nodes", "big_cart", "branches", 0, "when"])).toBe("nodes.big_cart.branches[0].when");
    expect(pathText(["timeout"])).toBe("timeout");
    const problems = [
      { path: "nodes.big_cart.branches[0].when", message: "bad" },
      { path: "nodes.big_cart.branches[1].when", message: "worse" },
    ];
    expect(problemsAt(problems, ["nodes", "big_cart", "branches", 1, "when"])).toEqual([problems[1]]);
    expect(humanize("exit_on_audience")).toBe("Exit On Audience");
  });
});
