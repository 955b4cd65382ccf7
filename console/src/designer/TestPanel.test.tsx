import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { edgeKey } from "../canvas/path";
import { TestPanel } from "./TestPanel";
import { answer } from "./testFixtures";
import { useTestSession, type OnPath } from "./useTestSession";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function serve(body: unknown, status = 200) {
  const fetch = vi.fn(() => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } })));
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

interface Props {
  journeyId: string;
  definition: unknown;
  onPath: OnPath;
}

/** The panel with its session owned above it, as the Designer's body owns it, and a tab
 * beside it: showing the other tab unmounts the panel. */
function Designer({ journeyId, definition, onPath }: Props) {
  const session = useTestSession(journeyId, onPath);
  const [tab, setTab] = useState<"test" | "code">("test");
  return (
    <>
      <button type="button" onClick={() => setTab(tab === "test" ? "code" : "test")}>
        Switch tab
      </button>
      {tab === "test" ? <TestPanel session={session} definition={definition} /> : <p>The code view</p>}
    </>
  );
}

const typeIn = (label: string | RegExp, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe("TestPanel", () => {
  it("runs the definition on the canvas and shows the path, messages and requests", async () => {
    const fetch = serve(answer);
    const onPath = vi.fn();
    render(<Designer journeyId="cart" definition={{ start: "wait_order" }} onPath={onPath} />);
    typeIn("Profile id", "ada");
    typeIn("Attributes (JSON)", '{"name": "Ada"}');
    typeIn("Entry properties (JSON)", '{"total": 150}');
    fireEvent.click(screen.getByRole("button", { name: "Add event" }));
    typeIn("Event 1 name", "order.completed");
    typeIn("Event 1 after", "PT2H");
    fireEvent.click(screen.getByRole("button", { name: "Run test" }));

    const result = await screen.findByRole("region", { name: "Test result" });
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/v1/journeys/cart/test");
    expect(JSON.parse(init.body as string)).toEqual({
      profile: { profile_id: "ada", attributes: { name: "Ada" } },
      entry_properties: { total: 150 },
      events: [{ name: "order.completed", properties: {}, after: "PT2H" }],
      action_responses: {},
      failing_actions: [],
      definition: { start: "wait_order" },
    });
    const [taken, visited] = onPath.mock.calls[0] as [Set<string>, Set<string>];
    expect(taken.has(edgeKey("big_cart", "sms_coupon"))).toBe(true);
    expect(taken.size).toBe(5);
    expect([...visited]).toEqual(["wait_order", "remind", "big_cart", "sms_coupon", "done"]);

    expect(within(result).getByText(/^Nothing was sent/)).toBeTruthy();
    const message = within(result).getByRole("listitem", { name: "Message of remind" });
    expect(within(message).getByText("Your cart")).toBeTruthy();
    expect(within(message).getByText("Hi Ada, 150")).toBeTruthy();
    expect(within(result).getByRole("listitem", { name: "Message of sms_coupon" }).textContent).toContain("Not rendered: template 'coupon-sms' does not exist");
    expect(within(result).getByRole("listitem", { name: "Request of crm" }).textContent).toContain("https://crm.example.com/users/ada");
    const path = within(result).getByRole("table", { name: "Test path" });
    expect(within(path).getByText("event.properties.total > 100")).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Clear test" }));
    expect(onPath).toHaveBeenLastCalledWith(null, new Set());
    expect(screen.queryByRole("region", { name: "Test result" })).toBeNull();
  });

  it("shows what is wrong with the form and sends nothing", () => {
    const fetch = serve(answer);
    render(<Designer journeyId="cart" definition={{}} onPath={() => undefined} />);
    typeIn("Attributes (JSON)", "{plan: pro}");
    fireEvent.click(screen.getByRole("button", { name: "Add event" }));
    typeIn("Event 1 after", "two hours");
    fireEvent.click(screen.getByRole("button", { name: "Run test" }));
    const alerts = screen.getAllByRole("alert").map((a) => a.textContent);
    expect(alerts).toContain("an ISO 8601 duration, e.g. PT30M, PT2H or P1D");
    expect(alerts.some((a) => a?.startsWith("not JSON: "))).toBe(true);
    expect(alerts).toContain("required"); // the event's name
    expect(fetch).not.toHaveBeenCalled();
  });

  it("uses a real profile found by the search, as it is", async () => {
    const match = { profile_id: "p-1", email: "ada@example.com", phone: null, timezone: "Europe/Paris", attributes: { vip: true }, created_at: "x", updated_at: "x", matched_by: "email" };
    const fetch = serve({ items: [match], count: 1 });
    render(<Designer journeyId="cart" definition={{}} onPath={() => undefined} />);
    fireEvent.click(screen.getByLabelText(/Real profile/));
    typeIn("Find a profile", "ada@example.com");
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    fireEvent.click(await screen.findByRole("button", { name: "Use p-1" }));
    expect((fetch.mock.calls[0] as unknown as [string])[0]).toBe("/v1/profiles?q=ada%40example.com");
    serve(answer);
    fireEvent.click(screen.getByRole("button", { name: "Run test" }));
    await screen.findByRole("region", { name: "Test result" });
    const sent = vi.mocked(globalThis.fetch).mock.calls[0] as unknown as [string, RequestInit];
    expect(JSON.parse(sent[1].body as string).profile).toEqual({ profile_id: "p-1", email: "ada@example.com", phone: null, timezone: "Europe/Paris", attributes: { vip: true } });
  });

  it("says why the run failed", async () => {
    serve({ error: "invalid", message: "the journey cannot be tested", fields: [] }, 422);
    const onPath = vi.fn();
    render(<Designer journeyId="cart" definition={{}} onPath={onPath} />);
    fireEvent.click(screen.getByRole("button", { name: "Run test" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("The test could not run: the journey cannot be tested (fix the problems listed in Problems first)"));
    expect(onPath).toHaveBeenCalledWith(null, new Set());
  });

  it("keeps the profile, events and last result when the panel is left and shown again", async () => {
    serve(answer);
    const onPath = vi.fn();
    render(<Designer journeyId="cart" definition={{ start: "wait_order" }} onPath={onPath} />);
    typeIn("Profile id", "ada");
    typeIn("Attributes (JSON)", '{"name": "Ada"}');
    fireEvent.click(screen.getByRole("button", { name: "Add event" }));
    typeIn("Event 1 name", "order.completed");
    typeIn("Event 1 after", "PT2H");
    fireEvent.click(screen.getByRole("button", { name: "Run test" }));
    await screen.findByRole("region", { name: "Test result" });

    fireEvent.click(screen.getByRole("button", { name: "Switch tab" }));
    expect(screen.queryByRole("region", { name: "Test result" })).toBeNull();
    expect(screen.queryByLabelText("Profile id")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Switch tab" }));

    expect(screen.getByLabelText("Profile id")).toHaveProperty("value", "ada");
    expect(screen.getByLabelText("Attributes (JSON)")).toHaveProperty("value", '{"name": "Ada"}');
    expect(screen.getByLabelText("Event 1 name")).toHaveProperty("value", "order.completed");
    expect(screen.getByLabelText("Event 1 after")).toHaveProperty("value", "PT2H");
    const result = screen.getByRole("region", { name: "Test result" });
    expect(within(result).getByRole("listitem", { name: "Message of remind" })).toBeTruthy();
    expect(onPath).toHaveBeenCalledTimes(1);
  });

  it("keeps a real profile chosen and the answer of a run that ended while the panel was away", async () => {
    const match = { profile_id: "p-1", email: "ada@example.com", phone: null, timezone: null, attributes: {}, created_at: "x", updated_at: "x", matched_by: "email" };
    serve({ items: [match], count: 1 });
    render(<Designer journeyId="cart" definition={{}} onPath={() => undefined} />);
    fireEvent.click(screen.getByLabelText(/Real profile/));
    typeIn("Find a profile", "ada@example.com");
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    fireEvent.click(await screen.findByRole("button", { name: "Use p-1" }));
    let reply: (r: Response) => void = () => undefined;
    vi.stubGlobal("fetch", vi.fn(() => new Promise<Response>((resolve) => (reply = resolve))));
    fireEvent.click(screen.getByRole("button", { name: "Run test" }));
    fireEvent.click(screen.getByRole("button", { name: "Switch tab" }));
    reply(new Response(JSON.stringify(answer), { status: 200, headers: { "Content-Type": "application/json" } }));
    await waitFor(() => expect(vi.mocked(globalThis.fetch)).toHaveBeenCalledTimes(1));
    fireEvent.click(screen.getByRole("button", { name: "Switch tab" }));

    expect(screen.getByLabelText(/Real profile/)).toHaveProperty("checked", true);
    expect(screen.getByText("p-1", { selector: "code" })).toBeTruthy();
    expect(await screen.findByRole("region", { name: "Test result" })).toBeTruthy();
  });
});
