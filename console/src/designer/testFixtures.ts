// A test run's answer as POST /v1/journeys/{id}/test gives it, for the tests of test mode.

import type { TestRunResult } from "./checkApi";

export const at = (minutes: number) => new Date(Date.UTC(2026, 2, 2, 10, minutes)).toISOString();
const visit = (node: string, type: string, minutes: number) => ({ node, type, entered_at: at(minutes), left_at: at(minutes), outcome: "exited" });

/** An answer of POST /v1/journeys/{id}/test: a loop through wait_order, then the coupon. */
export const answer: TestRunResult = {
  entered: true,
  status: "completed",
  reason: null,
  started_at: at(0),
  ended_at: at(1500),
  path: [
    visit("wait_order", "wait_for_event", 0),
    visit("remind", "message", 60),
    visit("wait_order", "wait_for_event", 60),
    visit("big_cart", "condition", 1500),
    visit("sms_coupon", "message", 1500),
    visit("done", "end", 1500),
  ],
  visits: [
    { ...visit("big_cart", "condition", 1500), visit: 1, seq: 4, detail: "branch 0", checks: [{ expression: "event.properties.total > 100", value: true }] },
  ],
  steps: [
    { at: at(60), node: "remind", kind: "message", channel: "email", template: "cart-reminder", locale: "default", subject: "Your cart", body: "Hi Ada, 150" },
    { at: at(1500), node: "crm", kind: "action", name: "crm", request: { method: "POST", url: "https://crm.example.com/users/ada" }, response: { tier: "gold" } },
    { at: at(1500), node: "sms_coupon", kind: "message", channel: "sms", template: "coupon-sms", error: "template 'coupon-sms' does not exist" },
    { at: at(1500), node: "tag", kind: "update_profile", set: { a: 1 } },
  ],
  vars: {},
  profile: {},
};

