import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it } from "vitest";

import { definitionOf, draftText, parseDraft, type Draft } from "../draft";
import { nodesOf } from "../graph";
import { renameNode } from "../rename";
import { expressionsOf, journeySchema, slotsOf } from "../testing";
import { DraftProvider } from "./DraftProvider";
import { FormEnvContext } from "./env";
import { ENV } from "./fixtures";
import { NodeForm } from "./NodeForm";

afterEach(cleanup);

const WRITTEN = `start: big_cart
nodes:
  # the big spenders first
  big_cart:
    type: condition
    branches: [{when: "event.properties.total > 100", next: email}]
    otherwise: done
  email: {type: message, channel: email, template: cart-reminder, next: done}
  done: {type: end}
`;

/** The node form over a draft kept in state, renamed as the Designer renames, its YAML shown. */
function show(first: string) {
  const parsed = parseDraft(WRITTEN);
  if (!parsed.draft) throw new Error(parsed.error);
  const opened: Draft = parsed.draft;
  function Harness() {
    const [draft, setDraft] = useState(opened);
    const [id, setId] = useState(first);
    const definition = definitionOf(draft);
    const rename = (to: string): string | null => {
      const result = renameNode(draft, id, to, { slotsOf, expressionsOf });
      if (!result.draft) return result.error;
      setDraft(result.draft);
      setId(to);
      return null;
    };
    return (
      <FormEnvContext.Provider value={ENV}>
        <DraftProvider definition={definition}>
          <NodeForm key={id} schema={journeySchema} nodeId={id} node={nodesOf(definition)[id]} onChange={() => undefined} onRename={rename} problems={[]} />
        </DraftProvider>
        <pre aria-label="YAML">{draftText(draft, "yaml")}</pre>
      </FormEnvContext.Provider>
    );
  }
  render(<Harness />);
}

const idField = (): HTMLInputElement => screen.getByLabelText("Id");
const yaml = (): string => screen.getByLabelText("YAML").textContent ?? "";

describe("the node id field", () => {
  it("shows why an id is refused beside the field, and does not apply it", () => {
    show("big_cart");
    expect(idField().value).toBe("big_cart");
    fireEvent.change(idField(), { target: { value: "email" } });
    expect(idField().getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText("another node is already called email")).toBeTruthy();
    fireEvent.blur(idField());
    fireEvent.change(idField(), { target: { value: "big cart" } });
    expect(screen.getByText("letters, digits, _ and - only, starting with a letter or a digit")).toBeTruthy();
    fireEvent.keyDown(idField(), { key: "Enter" });
    expect(yaml()).toBe(WRITTEN);
    fireEvent.keyDown(idField(), { key: "Escape" });
    expect(idField().value).toBe("big_cart");
    expect(idField().getAttribute("aria-invalid")).toBeNull();
  });

  it("renames the node on Enter: its key in place, the start and the form follow", () => {
    show("email");
    fireEvent.change(idField(), { target: { value: " reminder " } });
    fireEvent.keyDown(idField(), { key: "Enter" });
    expect(yaml()).toBe(`start: big_cart
nodes:
  # the big spenders first
  big_cart:
    type: condition
    branches: [{when: "event.properties.total > 100", next: reminder}]
    otherwise: done
  reminder: {type: message, channel: email, template: cart-reminder, next: done}
  done: {type: end}
`);
    expect(screen.getByRole("form", { name: "Node reminder" })).toBeTruthy();
    expect(idField().value).toBe("reminder");
    fireEvent.change(idField(), { target: { value: "big_cart" } });
    expect(screen.getByText("another node is already called big_cart")).toBeTruthy();
  });
});
