import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ProblemsPanel } from "./ProblemsPanel";

afterEach(cleanup);

const problems = [
  { path: "nodes.big_cart.branches[0].when", message: "invalid expression: syntax error" },
  { path: "entry.when", message: "unknown name 'x'" },
];

describe("ProblemsPanel", () => {
  it("counts and lists the problems with where they are", () => {
    render(<ProblemsPanel problems={problems} onSelect={() => undefined} />);
    expect(screen.getByRole("heading", { name: /Problems 2/ })).toBeTruthy();
    const items = within(screen.getByRole("list", { name: "Problems" })).getAllByRole("button");
    expect(items.map((b) => b.textContent)).toEqual([
      "node big_cart · branches[0].wheninvalid expression: syntax error (nodes.big_cart.branches[0].when)",
      "settings · entry.whenunknown name 'x' (entry.when)",
    ]);
  });

  it("takes the user to the node and field of the problem chosen", () => {
    const onSelect = vi.fn();
    render(<ProblemsPanel problems={problems} onSelect={onSelect} />);
    fireEvent.click(screen.getByRole("button", { name: /invalid expression/ }));
    expect(onSelect).toHaveBeenCalledWith("big_cart", ["nodes", "big_cart", "branches", 0, "when"]);
    fireEvent.click(screen.getByRole("button", { name: /unknown name/ }));
    expect(onSelect).toHaveBeenLastCalledWith(null, ["entry", "when"]);
  });

  it("says when there is nothing to fix, and when the check failed", () => {
    render(<ProblemsPanel problems={[]} onSelect={() => undefined} error="503 Service Unavailable" />);
    expect(screen.getByRole("heading", { name: /Problems 0/ })).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toBe("Could not check the journey: 503 Service Unavailable");
    expect(screen.queryByRole("list")).toBeNull();
  });
});
