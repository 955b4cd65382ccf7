import { describe, expect, it } from "vitest";

import { definitionOf, draftOf, draftText, parseDraft, type Draft } from "./draft";
import { initial, push, undo } from "./history";
import { renameNode } from "./rename";
import { expressionsOf, slotsOf } from "./testing";

const readers = { slotsOf, expressionsOf };

const WRITTEN = `# The cart journey, as a person wrote it.
id: cart
entry: {event: cart.updated}
start: lookup
nodes:
  # what the shop knows of the cart
  lookup:
    type: fetch
    source: shop
    params: {cart: "{{ event.properties.cart_id }}"}
    next: remind # then remind
    on_error: done
  remind: {type: message, channel: email, template: cart-reminder, next: wait}
  wait:
    type: wait_for_event
    reaction: {to: remind, kind: opened}
    timeout: P1D
    on_event: big_cart
    on_timeout: remind
  big_cart:
    type: condition
    branches:
      - {when: "vars.lookup.total > 100 and 'vars.lookup' != vars.lookup_2", next: lookup}
      - {when: "vars['lookup'].vip", next: done}
    otherwise: lookup
  crm:
    type: action
    action: crm
    params: {note: "{{ vars.lookup.total }} (vars.lookup)"}
    next: done
  done: {type: end}
`;

function parsed(text: string): Draft {
  const { draft, error } = parseDraft(text, { lookup: { x: 0, y: 0 }, remind: { x: 0, y: 200 } });
  if (!draft) throw new Error(error);
  return draft;
}

function renamed(draft: Draft, from: string, to: string): Draft {
  const result = renameNode(draft, from, to, readers);
  if (!result.draft) throw new Error(result.error);
  return result.draft;
}

describe("renaming a node", () => {
  it("renames its key in place, comment kept, and every slot, the start and vars read of it", () => {
    const draft = renamed(parsed(WRITTEN), "lookup", "cart_data");
    expect(draftText(draft, "yaml")).toBe(`# The cart journey, as a person wrote it.
id: cart
entry: {event: cart.updated}
start: cart_data
nodes:
  # what the shop knows of the cart
  cart_data:
    type: fetch
    source: shop
    params: {cart: "{{ event.properties.cart_id }}"}
    next: remind # then remind
    on_error: done
  remind: {type: message, channel: email, template: cart-reminder, next: wait}
  wait:
    type: wait_for_event
    reaction: {to: remind, kind: opened}
    timeout: P1D
    on_event: big_cart
    on_timeout: remind
  big_cart:
    type: condition
    branches:
      - {when: "vars.cart_data.total > 100 and 'vars.lookup' != vars.lookup_2", next: cart_data}
      - {when: "vars['cart_data'].vip", next: done}
    otherwise: cart_data
  crm:
    type: action
    action: crm
    params: {note: "{{ vars.cart_data.total }} (vars.lookup)"}
    next: done
  done: {type: end}
`);
    expect(draft.positions).toEqual({ cart_data: { x: 0, y: 0 }, remind: { x: 0, y: 200 } });
  });

  it("follows a rename in the fields naming a node that are no slots, and in its own slots", () => {
    const draft = renamed(parsed(WRITTEN), "remind", "nudge-1");
    const nodes = (definitionOf(draft) as { nodes: Record<string, Record<string, unknown>> }).nodes;
    expect(Object.keys(nodes)).toEqual(["lookup", "nudge-1", "wait", "big_cart", "crm", "done"]);
    expect(nodes.lookup?.next).toBe("nudge-1");
    expect(nodes.wait?.reaction).toEqual({ to: "nudge-1", kind: "opened" });
    expect(nodes.wait?.on_timeout).toBe("nudge-1");
    expect(draftText(draft, "yaml")).toContain("  nudge-1: {type: message, channel: email, template: cart-reminder, next: wait}\n");
    expect(draftText(draft, "yaml")).toContain("    next: nudge-1 # then remind\n");
  });

  it("names a vars read by subscript when the new id is no identifier", () => {
    const draft = renamed(parsed(WRITTEN), "lookup", "cart-data");
    const nodes = (definitionOf(draft) as { nodes: Record<string, { branches?: { when: string }[] }> }).nodes;
    expect(nodes.big_cart?.branches?.map((b) => b.when)).toEqual([
      "vars['cart-data'].total > 100 and 'vars.lookup' != vars.lookup_2",
      "vars['cart-data'].vip",
    ]);
  });

  it("renames a node of a draft made from JSON, a loop to itself included", () => {
    const draft = draftOf({ start: "a", nodes: { a: { type: "wait", duration: "PT1H", next: "a" }, b: { type: "end" } } });
    expect(definitionOf(renamed(draft, "a", "z"))).toEqual({ start: "z", nodes: { z: { type: "wait", duration: "PT1H", next: "z" }, b: { type: "end" } } });
  });

  it("refuses an id another node has, or one the server would refuse, and changes nothing", () => {
    const draft = parsed(WRITTEN);
    expect(renameNode(draft, "lookup", "remind", readers)).toEqual({ draft: null, error: "another node is already called remind" });
    expect(renameNode(draft, "lookup", "", readers).error).toBe("a node needs an id");
    expect(renameNode(draft, "lookup", "cart data", readers).error).toBe("letters, digits, _ and - only, starting with a letter or a digit");
    expect(renameNode(draft, "lookup", "_cart", readers).error).toBe("letters, digits, _ and - only, starting with a letter or a digit");
    expect(renameNode(draft, "lookup", "x".repeat(64), readers).error).toBe("at most 63 characters");
    expect(renameNode(draft, "nowhere", "somewhere", readers).error).toBe("there is no node nowhere");
    expect(renameNode(draft, "lookup", "lookup", readers)).toEqual({ draft, error: null });
    expect(draftText(draft, "yaml")).toBe(WRITTEN);
  });

  it("is one undo step: undo gives back the draft as it was", () => {
    const before = parsed(WRITTEN);
    const history = push(initial(before), renamed(before, "lookup", "cart_data"));
    const back = undo(history).present;
    expect(draftText(back, "yaml")).toBe(WRITTEN);
    expect(back.positions).toEqual(before.positions);
  });
});
