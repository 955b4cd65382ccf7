import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it } from "vitest";

import journeySchema from "../../../../schemas/journey.schema.json";
import type { DesignProblem, DocPath } from "../types";
import { FormEnvContext } from "./env";
import { CART, ENV, helperOf, setPath } from "./fixtures";
import { SettingsForm } from "./SettingsForm";

afterEach(cleanup);

function show(definition: unknown, problems: DesignProblem[] = []) {
  const changes: [DocPath, unknown][] = [];
  function Harness() {
    const [doc, setDoc] = useState<unknown>(definition);
    return (
      <FormEnvContext.Provider value={{ ...ENV, nodeIds: [], eventNames: [] }}>
        <SettingsForm
          schema={journeySchema}
          definition={doc}
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

describe("SettingsForm", () => {
  it("edits every top-level setting but the graph and the id", () => {
    const changes = show(CART);
    const form = screen.getByRole("form", { name: "Journey settings" });
    const legends = [...form.querySelectorAll(":scope > .schema-form > fieldset > legend")].map((l) => l.textContent);
    expect(legends).toEqual(["Entry", "Exit On", "Exit On Audience"]);
    const absent = within(form).getAllByRole("button", { name: /^Add / }).map((b) => b.textContent);
    expect(absent).toEqual(["Add Audience", "Add Reentry", "Add Entry Window", "Add Entry Cap", "Add to Exit On", "Add to Exit On Audience"]);
    expect(screen.queryByLabelText("Id")).toBeNull();
    expect(screen.queryByLabelText("Start")).toBeNull();
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Carts left behind" } });
    fireEvent.click(screen.getByLabelText("Dry Run"));
    expect(changes).toEqual([
      [["name"], "Carts left behind"],
      [["dry_run"], true],
    ]);
  });

  it("edits the entry: event (the draft's names suggested), filter, key", () => {
    const changes = show(CART);
    const entry = screen.getByRole("group", { name: "Entry" });
    const event = within(entry).getByLabelText("Event");
    const suggested = document.getElementById(event.getAttribute("list") ?? "");
    expect([...(suggested?.querySelectorAll("option") ?? [])].map((o) => o.getAttribute("value"))).toEqual(["cart.updated"]);
    fireEvent.change(within(entry).getByLabelText("When"), { target: { value: "event.properties.total > 50" } });
    fireEvent.change(within(entry).getByLabelText("Key"), { target: { value: "event.properties.cart_id" } });
    fireEvent.click(within(entry).getByRole("button", { name: "Add Audience" }));
    fireEvent.change(within(entry).getByLabelText("On"), { target: { value: "enter" } });
    expect(changes).toEqual([
      [["entry", "when"], "event.properties.total > 50"],
      [["entry", "key"], "event.properties.cart_id"],
      [["entry", "audience"], {}],
      [["entry", "audience", "on"], "enter"],
    ]);
  });

  it("re-entry as a select with its default, a timeout with the duration helper, exits as rows", () => {
    const changes = show({ ...CART, reentry: { mode: "never" }, exit_on: ["order.completed"] });
    const mode = screen.getByLabelText("Mode") as HTMLSelectElement;
    expect([...mode.options].map((o) => [o.value, o.textContent])).toEqual([
      ["", "(default: never)"], ["never", "never"], ["always", "always"], ["after", "after"],
    ]);
    fireEvent.change(mode, { target: { value: "after" } });
    fireEvent.change(helperOf("Wait", "Amount"), { target: { value: "7" } });
    fireEvent.change(helperOf("Wait", "Unit"), { target: { value: "days" } });
    expect(helperOf("Timeout", "Amount")).toHaveProperty("value", "90");
    fireEvent.change(helperOf("Timeout", "Amount"), { target: { value: "30" } });
    expect(screen.getByLabelText("Exit On 1")).toHaveProperty("value", "order.completed");
    fireEvent.click(screen.getByRole("button", { name: "Add to Exit On" }));
    fireEvent.change(screen.getByLabelText("Exit On 2"), { target: { value: "cart.emptied" } });
    expect(changes).toEqual([
      [["reentry", "mode"], "after"],
      [["reentry", "wait"], "PT7H"],
      [["reentry", "wait"], "P7D"],
      [["timeout"], "P30D"],
      [["exit_on", 1], ""],
      [["exit_on", 1], "cart.emptied"],
    ]);
  });

  it("shows each problem beside its setting", () => {
    show(CART, [
      { path: "entry.when", message: "unknown name received" },
      { path: "timeout", message: "must be longer than zero" },
      { path: "", message: "definition must be a mapping" },
    ]);
    const when = within(screen.getByRole("group", { name: "Entry" })).getByLabelText("When");
    expect(when.getAttribute("aria-invalid")).toBe("true");
    expect(when.parentElement?.parentElement?.textContent).toContain("unknown name received");
    expect(screen.getByLabelText("Timeout").closest(".field")?.textContent).toContain("must be longer than zero");
    expect(screen.getByText("definition must be a mapping")).toBeTruthy();
  });
});
