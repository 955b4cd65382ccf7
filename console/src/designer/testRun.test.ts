import { describe, expect, it } from "vitest";

import { edgeKey } from "../canvas/path";
import { answer, at } from "./testFixtures";
import { buildTestRequest, EMPTY_FORM, isDuration, messagesOf, offsetFrom, parseJsonObject, requestsOf, runOverlay, visitsOf } from "./testRun";

describe("runOverlay", () => {
  it("takes the edges between consecutive visits, loops included, and the nodes visited", () => {
    const { taken, visited } = runOverlay(answer);
    expect([...taken]).toEqual([
      edgeKey("wait_order", "remind"),
      edgeKey("remind", "wait_order"),
      edgeKey("wait_order", "big_cart"),
      edgeKey("big_cart", "sms_coupon"),
      edgeKey("sms_coupon", "done"),
    ]);
    expect([...visited]).toEqual(["wait_order", "remind", "big_cart", "sms_coupon", "done"]);
  });

  it("is empty for a run that did not enter", () => {
    const { taken, visited } = runOverlay({ ...answer, entered: false, path: [] });
    expect(taken.size).toBe(0);
    expect(visited.size).toBe(0);
  });
});

describe("messagesOf and requestsOf", () => {
  it("reads the rendered messages, with why one could not be", () => {
    expect(messagesOf(answer.steps)).toEqual([
      { node: "remind", channel: "email", template: "cart-reminder", subject: "Your cart", body: "Hi Ada, 150", error: null },
      { node: "sms_coupon", channel: "sms", template: "coupon-sms", subject: null, body: null, error: "template 'coupon-sms' does not exist" },
    ]);
  });

  it("reads the requests and the answers given", () => {
    expect(requestsOf(answer.steps)).toEqual([
      { node: "crm", kind: "action", name: "crm", request: { method: "POST", url: "https://crm.example.com/users/ada" }, response: { tier: "gold" }, error: null },
    ]);
  });
});

describe("buildTestRequest", () => {
  it("builds the body for the definition on the canvas", () => {
    const form = {
      ...EMPTY_FORM,
      inventedId: " ada ",
      inventedAttributes: '{"plan": "pro"}',
      entryProperties: '{"total": 150}',
      events: [{ name: "order.completed", properties: "", after: "PT30M" }],
      actionResponses: '{"crm": {"tier": "gold"}}',
      failingActions: "slack, ,crm-contact",
    };
    const { request, errors } = buildTestRequest(form, { id: "j" });
    expect(errors).toEqual({});
    expect(request).toEqual({
      profile: { profile_id: "ada", attributes: { plan: "pro" } },
      entry_properties: { total: 150 },
      events: [{ name: "order.completed", properties: {}, after: "PT30M" }],
      action_responses: { crm: { tier: "gold" } },
      failing_actions: ["slack", "crm-contact"],
      definition: { id: "j" },
    });
  });

  it("names every field that is wrong", () => {
    const form = {
      ...EMPTY_FORM,
      inventedId: "",
      inventedAttributes: "[1]",
      entryProperties: "{total: 1}",
      events: [{ name: "", properties: "{}", after: "2 hours" }],
      actionResponses: '{"crm": 3}',
    };
    const { errors } = buildTestRequest(form, {});
    expect(Object.keys(errors).sort()).toEqual(["action_responses", "attributes", "entry_properties", "events[0].after", "events[0].name", "profile_id"]);
    expect(errors.attributes).toBe("must be a JSON object ({…})");
    expect(errors.entry_properties).toMatch(/^not JSON: /);
    expect(errors.action_responses).toBe('the response of "crm" must be a JSON object');
  });

  it("asks for a real profile to be chosen", () => {
    expect(buildTestRequest({ ...EMPTY_FORM, mode: "real" }, {}).errors).toEqual({ profile: "choose a profile (search by id, email or phone)" });
    const real = { profile_id: "p1", email: "a@example.com", phone: null, timezone: "Europe/Paris", attributes: { vip: true } };
    expect(buildTestRequest({ ...EMPTY_FORM, mode: "real", real }, {}).request.profile).toEqual(real);
  });
});

describe("small readers", () => {
  it("parses JSON objects, empty as {}", () => {
    expect(parseJsonObject("")).toEqual({ value: {} });
    expect(parseJsonObject('{"a": 1}')).toEqual({ value: { a: 1 } });
    expect(parseJsonObject("null")).toEqual({ error: "must be a JSON object ({…})" });
  });

  it("knows ISO 8601 durations", () => {
    expect(["PT30M", "P1D", "P1DT2H", "PT0S", "P2W", "PT1.5S"].every(isDuration)).toBe(true);
    expect(["P", "PT", "1h", "P1H", "PT2H30", ""].some(isDuration)).toBe(false);
  });

  it("says how long after the entry", () => {
    expect(offsetFrom(at(0), at(0))).toBe("+0m");
    expect(offsetFrom(at(0), at(60))).toBe("+1h");
    expect(offsetFrom(at(0), at(1505))).toBe("+1d 1h 5m");
  });

  it("falls back to the path when the server gave no visits", () => {
    const old = { ...answer, visits: undefined };
    expect(visitsOf(old).map((v) => [v.node, v.checks])).toEqual(answer.path.map((p) => [p.node, []]));
  });
});
