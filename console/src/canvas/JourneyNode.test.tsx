import { cleanup, render, screen, within } from "@testing-library/react";
import { ReactFlowProvider } from "@xyflow/react";
import { afterEach, describe, expect, it } from "vitest";

import type { NodeReport } from "../api/types";
import { CountsContext } from "./counts";
import { everyType } from "./fixtures";
import { journeyGraph, nodeFacts } from "./graph";
import { JourneyNode } from "./JourneyNode";
import type { PathOverlay } from "./path";
import { PathContext } from "./visits";

const graph = journeyGraph(everyType);

afterEach(cleanup);

function show(id: string, report?: NodeReport, path: PathOverlay | null = null) {
  const node = graph.nodes.find((n) => n.id === id);
  if (!node) throw new Error(id);
  const counts = new Map(report ? [[id, report]] : []);
  return render(
    <ReactFlowProvider>
      <CountsContext.Provider value={counts}>
        <PathContext.Provider value={path}>
        <JourneyNode
          id={id}
          type="journey"
          data={{ node }}
          selected={false}
          dragging={false}
          zIndex={0}
          isConnectable={false}
          positionAbsoluteX={0}
          positionAbsoluteY={0}
          selectable
          deletable={false}
          draggable={false}
        />
        </PathContext.Provider>
      </CountsContext.Provider>
    </ReactFlowProvider>,
  );
}

const report = (over: Partial<NodeReport>): NodeReport => ({
  node: "email", type: "message", entered: 0, profiles: 0, waiting: 0, exited: 0,
  exit_criteria: 0, errored: 0, timed_out: 0, messages: null, paths: null, ...over,
});

describe("node rendering", () => {
  it.each([
    ["wait", "wait", "for PT1H"],
    ["split", "split", "a 50% / b 50%"],
    ["email", "message", "email · hello"],
    ["exp", "experiment", "v1 90% / holdout 10%"],
    ["call", "action", '"crm-sync"'],
    ["fetch", "fetch", '"scores"'],
    ["update", "update profile", "set stage"],
    ["listen", "wait for event", "awaits clicked"],
    ["jump", "jump", "to other"],
  ])("shows the %s node's type, id and key fact", (id, type, fact) => {
    const { container } = show(id);
    const node = container.querySelector(".journey-node");
    expect(node).not.toBeNull();
    const scope = within(node as HTMLElement);
    expect(scope.getByText(type, { selector: ".node-type" })).toBeTruthy();
    expect(scope.getByText(id, { selector: ".node-id" })).toBeTruthy();
    expect(scope.getByText(fact, { selector: "li" })).toBeTruthy();
  });

  it("shows an end node with no facts", () => {
    const { container } = show("end");
    expect(container.querySelectorAll(".node-facts li")).toHaveLength(0);
    expect(screen.getByText("end", { selector: ".node-id" })).toBeTruthy();
  });

  it("shows live counts and the message outcomes", () => {
    const messages = { sent: 1234, failed: 1, skipped: 2, skipped_by_reason: { no_email: 2 }, deferred: 0, sending: 0, dry_run: 0 };
    const { container } = show("email", report({ waiting: 3, entered: 7, messages }));
    const count = (name: string) => container.querySelector(`[data-count="${name}"] dd`)?.textContent;
    expect(count("waiting")).toBe("3");
    expect(count("entered")).toBe("7");
    expect(count("sent")).toBe((1234).toLocaleString());
    expect(count("skipped")).toBe("2");
  });

  it("shows the wait condition facts of every kind", () => {
    expect(nodeFacts({ type: "wait", until: "profile.ready", next: "x" })).toEqual(["until profile.ready"]);
    expect(nodeFacts({ type: "wait", next_weekday: { days: ["MON"], time: "09:00" }, next: "x" })).toEqual(["next MON at 09:00"]);
  });

  it("shows a profile's visits instead of the counts, and where it waits", () => {
    const visit = (n: number, left: boolean) => ({
      node: "listen", type: "wait_for_event", visit: n, entered_at: `2026-01-01T10:0${n}:00Z`,
      left_at: left ? `2026-01-01T10:0${n}:30Z` : null, outcome: left ? "timed_out" : null,
      detail: left ? "timeout" : null, checks: [], message: null,
    });
    const path: PathOverlay = { visits: new Map([["listen", [visit(1, true), visit(2, false)]]]), taken: new Set(), here: "listen" };
    const { container } = show("listen", report({ entered: 9 }), path);
    const node = container.querySelector(".journey-node");
    expect(node?.className).toContain("here");
    expect(container.querySelector(".node-visits")?.getAttribute("data-visits")).toBe("2");
    expect(container.querySelector(".node-visits")?.textContent).toContain("waiting here");
    expect(container.querySelector(".node-visits")?.textContent).toContain("still here");
    expect(container.querySelector("[data-count]")).toBeNull();
    cleanup();
    const other = show("email", undefined, path);
    expect(other.container.querySelector(".journey-node")?.className).toContain("off-path");
    expect(other.container.textContent).toContain("not visited");
  });
});
