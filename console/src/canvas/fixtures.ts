// Definitions the component tests lay out and render.

import type { JourneyDefinition } from "../api/types";

export const abandonedCart: JourneyDefinition = {
  id: "abandoned-cart",
  start: "wait_order",
  nodes: {
    wait_order: { type: "wait_for_event", event: "order.completed", timeout: "PT1H", on_event: "done", on_timeout: "remind" },
    remind: { type: "message", channel: "email", template: "cart-reminder", next: "wait_day" },
    wait_day: { type: "wait", duration: "P1D", next: "big_cart" },
    big_cart: { type: "condition", branches: [{ when: "event.properties.total > 100", next: "sms_coupon" }], otherwise: "done" },
    sms_coupon: { type: "message", channel: "sms", template: "coupon-sms", next: "done" },
    done: { type: "end" },
  },
};

/** Every node type once, a split fanning out and a loop back to the first wait. */
export const everyType: JourneyDefinition = {
  id: "every-type",
  start: "wait",
  nodes: {
    wait: { type: "wait", duration: "PT1H", next: "split" },
    split: { type: "split", paths: [{ name: "a", weight: 50, next: "email" }, { name: "b", weight: 50, next: "exp" }] },
    email: { type: "message", channel: "email", template: "hello", next: "call" },
    exp: { type: "experiment", variants: [{ name: "v1", weight: 90, next: "fetch" }], holdout: { weight: 10, next: "end" } },
    call: { type: "action", action: "crm-sync", next: "update", on_error: "end" },
    fetch: { type: "fetch", source: "scores", next: "update" },
    update: { type: "update_profile", set: { stage: "'nudged'" }, next: "listen" },
    listen: { type: "wait_for_event", event: "clicked", timeout: "P2D", on_event: "jump", on_timeout: "wait" },
    jump: { type: "jump", journey: "other", end: true },
    end: { type: "end" },
  },
};

/** A long chain with side branches, for the layout's larger cases. */
export function chain(length: number): JourneyDefinition {
  const nodes: JourneyDefinition["nodes"] = { end: { type: "end" } };
  for (let i = 0; i < length; i++) {
    const next = i + 1 < length ? `n${i + 1}` : "end";
    nodes[`n${i}`] =
      i % 3 === 0
        ? { type: "condition", branches: [{ when: `profile.score > ${i}`, next }], otherwise: "end" }
        : { type: "wait", duration: "PT1H", next: i % 7 === 6 ? "n0" : next };
  }
  return { id: "chain", start: "n0", nodes };
}
