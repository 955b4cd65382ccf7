import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import journeySchema from "../../../../schemas/journey.schema.json";
import type { DesignProblem, DocPath } from "../types";
import { FormEnvContext } from "./env";
import { CART, ENV, helperOf, setPath } from "./fixtures";
import { NodeForm } from "./NodeForm";

afterEach(cleanup);

type Change = [DocPath, unknown];

/** The form over a node kept in state, as the Designer keeps it, recording every change. */
function show(nodeId: string, node: unknown, problems: DesignProblem[] = []) {
  const changes: Change[] = [];
  function Harness() {
    const [doc, setDoc] = useState<unknown>({ ...CART, nodes: { ...CART.nodes, [nodeId]: node } });
    const current = (doc as { nodes: Record<string, unknown> }).nodes[nodeId];
    return (
      <FormEnvContext.Provider value={ENV}>
        <NodeForm
          schema={journeySchema}
          nodeId={nodeId}
          node={current}
          problems={problems}
          onChange={(path, value) => {
            changes.push([path, value]);
            setDoc((d: unknown) => setPath(d, path, value));
          }}
        />
      </FormEnvContext.Provider>
    );
  }
  render(<Harness />);
  return changes;
}

const branch = (n: number) => screen.getByRole("group", { name: `Branches ${n}` });

describe("NodeForm", () => {
  it("changes a condition branch's when by its full path", () => {
    const changes = show("big_cart", CART.nodes.big_cart);
    const when = within(branch(1)).getByLabelText("When");
    expect(when).toHaveProperty("value", "event.properties.total > 100");
    fireEvent.change(when, { target: { value: "event.properties.total > 200" } });
    expect(changes).toEqual([[["nodes", "big_cart", "branches", 0, "when"], "event.properties.total > 200"]]);
    expect(within(branch(1)).getByLabelText("When")).toHaveProperty("value", "event.properties.total > 200");
    fireEvent.change(within(branch(2)).getByLabelText("When"), { target: { value: "" } });
    expect(changes[1]).toEqual([["nodes", "big_cart", "branches", 1, "when"], undefined]);
  });

  it("adds and removes list items, one path each", () => {
    const changes = show("big_cart", CART.nodes.big_cart);
    fireEvent.click(screen.getByRole("button", { name: "Add to Branches" }));
    expect(changes).toEqual([[["nodes", "big_cart", "branches", 2], {}]]);
    expect(screen.getByRole("group", { name: "Branches 3" })).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Remove Branches 1" }));
    expect(changes[1]).toEqual([["nodes", "big_cart", "branches", 0], undefined]);
    expect(within(branch(1)).getByLabelText("When")).toHaveProperty("value", "profile.attributes.vip");
  });

  it("shows a problem beside the field its path names, and only there", () => {
    const problems = [
      { path: "nodes.big_cart.branches[1].when", message: "syntax error: unexpected end of template" },
      { path: "nodes.big_cart", message: "unreachable from start" },
    ];
    show("big_cart", CART.nodes.big_cart, problems);
    const second = within(branch(2)).getByLabelText("When");
    expect(second.getAttribute("aria-invalid")).toBe("true");
    const message = within(branch(2)).getByText("syntax error: unexpected end of template");
    expect(second.getAttribute("aria-describedby")).toContain(message.closest("ul")?.id);
    expect(within(branch(1)).getByLabelText("When").getAttribute("aria-invalid")).toBeNull();
    expect(within(branch(1)).queryByText("syntax error: unexpected end of template")).toBeNull();
    expect(screen.getByText("unreachable from start")).toBeTruthy();
  });

  it("picks a template from the API's list and adds an optional object", async () => {
    const changes = show("email", CART.nodes.email);
    const template = screen.getByLabelText("Template");
    expect(template).toHaveProperty("value", "cart-reminder");
    const list = document.getElementById(template.getAttribute("list") ?? "");
    await waitFor(() => expect(list?.querySelectorAll("option")).toHaveLength(2));
    expect([...(list?.querySelectorAll("option") ?? [])].map((o) => o.getAttribute("label"))).toEqual([
      "cart-reminder · email",
      "cart-sms · sms",
    ]);
    fireEvent.change(template, { target: { value: "cart-sms" } });
    fireEvent.click(screen.getByRole("button", { name: "Add Quiet Hours" }));
    expect(changes).toEqual([
      [["nodes", "email", "template"], "cart-sms"],
      [["nodes", "email", "quiet_hours"], {}],
    ]);
    expect(screen.getByRole("group", { name: "Quiet Hours" })).toBeTruthy();
    expect(screen.getByLabelText("Start")).toBeTruthy();
  });

  it("draws an enum as a select and a duration with its helper", () => {
    const node = { type: "wait_for_event", reaction: { to: "email", kind: "opened" }, timeout: "P2D", on_event: "done", on_timeout: "done" };
    const changes = show("wait", node);
    const kind = screen.getByLabelText("Kind");
    expect(kind.tagName).toBe("SELECT");
    expect([...(kind as HTMLSelectElement).options].map((o) => o.value)).toEqual(["opened", "clicked", "delivered", "failed"]);
    fireEvent.change(kind, { target: { value: "clicked" } });
    expect(screen.getByLabelText("Timeout")).toHaveProperty("value", "P2D");
    expect(helperOf("Timeout", "Amount")).toHaveProperty("value", "2");
    expect(helperOf("Timeout", "Unit")).toHaveProperty("value", "days");
    fireEvent.change(helperOf("Timeout", "Unit"), { target: { value: "hours" } });
    fireEvent.change(helperOf("Timeout", "Amount"), { target: { value: "36" } });
    fireEvent.change(screen.getByLabelText("Timeout"), { target: { value: "P1DT12H" } });
    expect(changes).toEqual([
      [["nodes", "wait", "reaction", "kind"], "clicked"],
      [["nodes", "wait", "timeout"], "PT2H"],
      [["nodes", "wait", "timeout"], "PT36H"],
      [["nodes", "wait", "timeout"], "P1DT12H"],
    ]);
    expect(helperOf("Timeout", "Amount")).toHaveProperty("value", "");
    expect(screen.getByText("1 day 12 hours")).toBeTruthy();
  });

  it("edits a map entry by its name, adds and renames entries", () => {
    const node = { type: "update_profile", set: { tier: "'gold'" }, next: "done" };
    const changes = show("up", node);
    fireEvent.change(screen.getByLabelText("tier"), { target: { value: "'silver'" } });
    fireEvent.change(screen.getByLabelText("New Set name"), { target: { value: "last_cart" } });
    fireEvent.click(screen.getByRole("button", { name: "Add to Set" }));
    const name = screen.getByLabelText("Set 1 name");
    fireEvent.change(name, { target: { value: "level" } });
    fireEvent.blur(name);
    expect(changes).toEqual([
      [["nodes", "up", "set", "tier"], "'silver'"],
      [["nodes", "up", "set", "last_cart"], ""],
      [["nodes", "up", "set"], { level: "'silver'", last_cart: "" }],
    ]);
    expect(screen.getByLabelText("level")).toHaveProperty("value", "'silver'");
    expect(screen.getByLabelText("New Set name")).toHaveProperty("value", "");
  });

  it("needs no code for a node type it has never seen", () => {
    const schema = structuredClone(journeySchema) as Record<string, unknown> & typeof journeySchema;
    const defs = schema.$defs as Record<string, unknown>;
    defs.SmsVoteNode = {
      type: "object",
      additionalProperties: false,
      description: "Ask a question by SMS.",
      required: ["type", "question", "within"],
      properties: {
        type: { const: "sms_vote", type: "string" },
        question: { type: "string", title: "Question" },
        within: { type: "string", format: "duration" },
        tally: { enum: ["first", "last"], type: "string" },
      },
    };
    const union = Object.values(schema.properties.nodes.patternProperties)[0] as { oneOf: unknown[] };
    union.oneOf.push({ $ref: "#/$defs/SmsVoteNode" });
    const onChange = vi.fn();
    render(<NodeForm schema={schema} nodeId="vote" node={{ type: "sms_vote" }} onChange={onChange} problems={[]} />);
    expect(screen.getByText("Ask a question by SMS.")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Question"), { target: { value: "Pizza?" } });
    fireEvent.change(helperOf("Within", "Amount"), { target: { value: "3" } });
    expect(screen.getByLabelText("Tally").tagName).toBe("SELECT");
    expect(onChange.mock.calls).toEqual([
      [["nodes", "vote", "question"], "Pizza?"],
      [["nodes", "vote", "within"], "PT3H"],
    ]);
  });
});
