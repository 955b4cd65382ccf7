import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Me } from "../api/types";
import { WhoContext } from "../auth/who";
import { PublishPanel } from "./PublishPanel";

const live = {
  id: "cart",
  start: "hello",
  nodes: {
    hello: { type: "message", channel: "email", template: "hi", next: "done" },
    done: { type: "end" },
  },
};
const draft = {
  id: "cart",
  start: "hello",
  nodes: {
    hello: { type: "message", channel: "email", template: "hello", next: "pause" },
    pause: { type: "wait", duration: "P1D", next: "done" },
    done: { type: "end" },
  },
};

const approval = (state: string) => ({
  state,
  draft_updated_at: "2026-12-03T10:00:00+00:00",
  draft_updated_by: { key_id: "k1", name: "author" },
  requested_by: state === "none" ? null : { key_id: "k1", name: "author" },
  requested_at: state === "none" ? null : "2026-12-03T10:01:00+00:00",
  approved_by: state === "approved" ? { key_id: "k2", name: "reviewer" } : null,
  approved_at: state === "approved" ? "2026-12-03T10:02:00+00:00" : null,
});

function journey(state: string) {
  return {
    journey_id: "cart",
    name: "Cart",
    status: "live",
    live_version: 2,
    draft_updated_at: "2026-12-03T10:00:00+00:00",
    updated_at: "2026-12-03T10:00:00+00:00",
    created_at: "2026-12-01T10:00:00+00:00",
    versions: [],
    draft,
    requires_approval: true,
    approval: approval(state),
    in_flight: [
      { version: 1, profiles: 3 },
      { version: 2, profiles: 5 },
    ],
  };
}

const me: Me = { key_id: "k2", name: "reviewer", scopes: ["admin"], grants: ["journeys:write", "journeys:approve", "read"] };

const answer = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

let calls: string[] = [];

/** Generous on a loaded machine: the panel waits 400 ms for the draft to settle first. */
const WAIT = { timeout: 5000 };

function serve(state: string) {
  calls = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? "GET";
      calls.push(`${method} ${url}`);
      if (url === "/v1/journeys/cart" && method === "GET") return answer(200, journey(state));
      if (url === "/v1/journeys/cart/versions/2") return answer(200, { definition: live });
      if (url === "/v1/journeys/validate") return answer(200, { valid: true, problems: [], definition: JSON.parse(String(init?.body)) });
      if (url === "/v1/journeys/cart/publish") return answer(201, { journey_id: "cart", version: 3 });
      if (url === "/v1/journeys/cart/approve") {
        return answer(403, { message: "a second user must approve: this key made the last change to the draft" });
      }
      return answer(404, { message: `no ${url}` });
    }),
  );
}

beforeEach(() => {
  vi.stubGlobal(
    "ResizeObserver",
    class {
      observe(): void {}
      unobserve(): void {}
      disconnect(): void {}
    },
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const show = (problems: { path: string; message: string }[], onSaved?: () => Promise<void>) =>
  render(
    <WhoContext.Provider value={me}>
      <PublishPanel journeyId="cart" definition={draft} problems={problems} onSaved={onSaved} />
    </WhoContext.Provider>,
  );

describe("PublishPanel", { timeout: 20_000 }, () => {
  it("keeps Publish disabled while problems remain, saying why", async () => {
    serve("approved");
    show([{ path: "nodes.hello.template", message: "template 'hello' does not exist" }]);
    const button = await screen.findByRole("button", { name: "Publish" }, WAIT);
    expect(button).toHaveProperty("disabled", true);
    expect(button.getAttribute("aria-describedby")).toBe("publish-why");
    expect(document.getElementById("publish-why")?.textContent).toBe("Fix 1 problem before publishing.");
  });

  it("shows the diff, saves then publishes, and says the new version", async () => {
    serve("approved");
    const onSaved = vi.fn(async () => {
      calls.push("saved");
    });
    show([], onSaved);
    const changes = await screen.findByRole("list", { name: "Changes" }, WAIT);
    expect(within(changes).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "added node pause",
      "changed node hello: template, next",
      "2 edges added, 1 removed",
    ]);
    const graph = screen.getByLabelText("Graph diff");
    const marked = [...graph.querySelectorAll(".react-flow__node")].map((n) => [n.getAttribute("aria-label"), n.classList.contains("diff-added")]);
    expect(marked).toEqual([
      ["hello message (changed)", false],
      ["pause wait (added)", true],
      ["done end", false],
    ]);
    const yaml = screen.getByLabelText("YAML diff");
    const tagged = (tag: string) => [...yaml.querySelectorAll(`[data-tag=${tag}]`)].map((l) => l.textContent);
    expect(tagged("removed")).toEqual(["-     template: hi"]);
    expect(tagged("added")).toEqual([
      "+     template: hello",
      "+     next: pause",
      "+   pause:",
      "+     type: wait",
      "+     duration: P1D",
    ]);
    expect(screen.getByLabelText("Profiles on older versions").textContent).toBe("3 profiles still on older versions (v1: 3)");
    expect(screen.getByText(/Approved by reviewer/)).toBeTruthy();
    const button = screen.getByRole("button", { name: "Publish" });
    await vi.waitFor(() => expect(button).toHaveProperty("disabled", false), WAIT);
    fireEvent.click(button);
    expect((await screen.findByRole("status", {}, WAIT)).textContent).toBe("Published version 3");
    expect(calls.slice(calls.indexOf("saved"), calls.indexOf("saved") + 2)).toEqual(["saved", "POST /v1/journeys/cart/publish"]);
  });

  it("waits for approval, and shows the API's refusal of this key", async () => {
    serve("requested");
    show([]);
    expect(await screen.findByText(/Approval requested by author/, {}, WAIT)).toBeTruthy();
    const publish = screen.getByRole("button", { name: "Publish" });
    await vi.waitFor(() =>
      expect(document.getElementById("publish-why")?.textContent).toBe(
        "Approval is required: waiting for another key to approve the draft.",
      ),
      WAIT,
    );
    expect(publish).toHaveProperty("disabled", true);
    fireEvent.click(screen.getByRole("button", { name: "Approve" }));
    expect((await screen.findByRole("alert", {}, WAIT)).textContent).toBe(
      "a second user must approve: this key made the last change to the draft",
    );
  });
});
