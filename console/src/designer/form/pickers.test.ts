import { describe, expect, it } from "vitest";

import { CART } from "./fixtures";
import { draftEventNames, draftNodeIds, optionsOf, SOURCES } from "./pickers";

describe("picker lists", () => {
  it("reads the API's pages: names, ids, and what people read beside them", () => {
    const template = SOURCES.template;
    const journey = SOURCES.journey;
    if (!template || !journey) throw new Error("sources");
    expect(template.path).toBe("/v1/templates");
    expect(optionsOf(template, { items: [{ name: "welcome", channel: "email" }, { channel: "sms" }], count: 2 })).toEqual([
      { value: "welcome", label: "welcome · email" },
    ]);
    expect(optionsOf(journey, { items: [{ journey_id: "onboarding", name: "Onboarding" }], count: 1 })).toEqual([
      { value: "onboarding", label: "onboarding · Onboarding" },
    ]);
    expect(Object.fromEntries(Object.entries(SOURCES).map(([k, s]) => [k, s.path]))).toEqual({
      template: "/v1/templates",
      action: "/v1/actions",
      data_source: "/v1/data-sources",
      audience: "/v1/audiences",
      journey: "/v1/journeys",
      decision: "/v1/decisions",
    });
  });

  it("reads the draft's node ids and the event names it mentions", () => {
    expect(draftNodeIds(CART)).toEqual(["big_cart", "email", "done"]);
    const waiting = {
      ...CART,
      exit_on: ["order.completed"],
      nodes: { ...CART.nodes, wait: { type: "wait_for_event", event: "email.clicked" } },
    };
    expect(draftEventNames(waiting)).toEqual(["cart.updated", "email.clicked", "order.completed"]);
    expect(draftNodeIds("not a definition")).toEqual([]);
    expect(draftEventNames(null)).toEqual([]);
  });
});
