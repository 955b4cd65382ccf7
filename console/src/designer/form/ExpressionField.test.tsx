import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it } from "vitest";

import { FormEnvContext } from "./env";
import { ExpressionField } from "./ExpressionField";
import { ENV } from "./fixtures";

afterEach(cleanup);

function show(initial: string, mode: "expression" | "template" = "expression") {
  const values: unknown[] = [];
  function Harness() {
    const [value, setValue] = useState<unknown>(initial);
    return (
      <FormEnvContext.Provider value={ENV}>
        <label htmlFor="when">When</label>
        <ExpressionField
          id="when"
          label="When"
          value={value}
          mode={mode}
          onValue={(v) => {
            values.push(v);
            setValue(v);
          }}
          invalid={false}
          describedBy={undefined}
          required
          placeholder={undefined}
        />
      </FormEnvContext.Provider>
    );
  }
  render(<Harness />);
  return { values, field: screen.getByLabelText("When") as HTMLTextAreaElement };
}

const type = (field: HTMLTextAreaElement, text: string) => fireEvent.change(field, { target: { value: text } });
const options = () => screen.getAllByRole("option").map((o) => o.textContent);

describe("ExpressionField", () => {
  it("is a monospace code field with a completion list for profile.", async () => {
    const { field } = show("");
    expect(field.tagName).toBe("TEXTAREA");
    expect(field.className).toBe("code");
    await waitFor(() => {
      type(field, "profile.");
      expect(screen.getByRole("listbox", { name: "Suggestions" })).toBeTruthy();
    });
    expect(options()[0]).toBe("profile_id profile.profile_id");
    expect(screen.getAllByRole("option")).toHaveLength(7);
    expect(field.getAttribute("aria-controls")).toBe(screen.getByRole("listbox").id);
    expect(field.getAttribute("aria-activedescendant")).toBe(screen.getAllByRole("option")[0]?.id);
  });

  it("moves with the arrows, accepts with Enter or Tab, closes with Escape", async () => {
    const { field, values } = show("");
    await waitFor(() => {
      type(field, "profile.");
      expect(screen.getByRole("listbox")).toBeTruthy();
    });
    fireEvent.keyDown(field, { key: "ArrowDown" });
    expect(screen.getAllByRole("option")[1]?.getAttribute("aria-selected")).toBe("true");
    fireEvent.keyDown(field, { key: "Enter" });
    expect(values.at(-1)).toBe("profile.email");
    expect(field.value).toBe("profile.email");
    expect(screen.queryByRole("listbox")).toBeNull();
    type(field, "profile.email > 3 and vars.");
    expect(options()).toEqual(["big_cart what this node produced", "email what this node produced", "done what this node produced"]);
    fireEvent.keyDown(field, { key: "ArrowUp" });
    fireEvent.keyDown(field, { key: "Tab" });
    expect(values.at(-1)).toBe("profile.email > 3 and vars.done");
    type(field, "profile.email > 3 and vars.done and ev");
    expect(screen.getByRole("listbox")).toBeTruthy();
    fireEvent.keyDown(field, { key: "Escape" });
    expect(screen.queryByRole("listbox")).toBeNull();
  });

  it("completes helpers with the caret between their parentheses, and events by name", async () => {
    const { field, values } = show("");
    await waitFor(() => {
      type(field, "now + da");
      expect(screen.getByRole("listbox")).toBeTruthy();
    });
    expect(options()).toEqual(["days(n) `now + days(2)`."]);
    fireEvent.mouseDown(screen.getByRole("option"));
    expect(values.at(-1)).toBe("now + days()");
    expect(field.selectionStart).toBe(11);
    type(field, "events.");
    fireEvent.keyDown(field, { key: "ArrowDown" });
    fireEvent.keyDown(field, { key: "Enter" });
    expect(values.at(-1)).toBe("events['order.completed']");
  });

  it("completes inside a template's code only", async () => {
    const { field } = show("", "template");
    type(field, "Hello pro");
    await new Promise((r) => setTimeout(r, 10));
    expect(screen.queryByRole("listbox")).toBeNull();
    await waitFor(() => {
      type(field, "Hello {{ pro");
      expect(options()).toEqual(["profile The profile in the journey."]);
    });
  });
});
