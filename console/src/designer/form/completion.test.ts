import { describe, expect, it } from "vitest";

import { accept, completionsAt } from "./completion";
import { ENV, NAMES } from "./fixtures";

const at = (text: string, mode: "expression" | "template" = "expression") => completionsAt(text, text.length, NAMES, ENV, mode);
const labels = (text: string, mode?: "expression" | "template") => at(text, mode)?.items.map((i) => i.insert) ?? null;

describe("expression completion", () => {
  it("offers the fields of profile. and event., filtered by what is typed", () => {
    expect(labels("profile.")).toEqual(["profile_id", "email", "phone", "timezone", "attributes", "audiences", "locale"]);
    expect(labels("profile.at")).toEqual(["attributes"]);
    expect(labels("x and event.pro")).toEqual(["profile_id", "properties"]);
    expect(at("profile.em")).toMatchObject({ from: 8, to: 10 });
    expect(labels("profile.attributes.")).toBeNull(); // nothing known that deep
    expect(labels("profile.email")).toBeNull(); // typed in full
  });

  it("offers the draft's node ids after vars. and its event names after events.", () => {
    expect(labels("vars.")).toEqual(["big_cart", "email", "done"]);
    expect(labels("events.")).toEqual(["['cart.updated']", "['order.completed']"]);
    const events = at("events.ord");
    expect(events?.items.map((i) => i.insert)).toEqual(["['order.completed']"]);
    if (!events?.items[0]) throw new Error("no suggestion");
    expect(accept("events.ord", events, events.items[0])).toEqual({ text: "events['order.completed']", caret: 25 });
  });

  it("offers roots and helpers for a bare name, filters after |, tests after is", () => {
    expect(labels("pro")).toEqual(["profile"]);
    expect(labels("now + d")).toEqual(["days()", "duration()"]);
    const helper = at("now + da");
    if (!helper?.items[0]) throw new Error("no suggestion");
    expect(helper.items[0].label).toBe("days(n)");
    expect(accept("now + da", helper, helper.items[0])).toEqual({ text: "now + days()", caret: 11 });
    expect(labels("profile.email | ")).toEqual(["upper", "length"]);
    expect(labels("profile.email|up")).toEqual(["upper"]);
    expect(labels("profile.email is def")).toEqual(["defined"]);
  });

  it("stays quiet inside strings, after numbers and outside a template's code", () => {
    expect(labels("'profile.")).toBeNull();
    expect(labels("\"a\" ~ 'b' ~ pro")).toEqual(["profile"]);
    expect(labels("")).toBeNull();
    expect(labels("Hello pro", "template")).toBeNull();
    expect(labels("Hello {{ pro", "template")).toEqual(["profile"]);
    expect(labels("Hello {{ profile.email }} pro", "template")).toBeNull();
  });

  it("replaces only the word being typed", () => {
    const text = "profile.em > 3";
    const found = completionsAt(text, 10, NAMES, ENV);
    if (!found?.items[0]) throw new Error("no suggestion");
    expect(accept(text, found, found.items[0])).toEqual({ text: "profile.email > 3", caret: 13 });
  });
});
