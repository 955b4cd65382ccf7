import { describe, expect, it } from "vitest";

import { campaignHref, designHref, parseRoute, profileHref } from "./route";

describe("parseRoute", () => {
  it("reads every page and its parameters", () => {
    expect(parseRoute("/console/")).toEqual({ page: "journeys" });
    expect(parseRoute("/console/journeys/a%2Fb")).toEqual({ page: "journey", id: "a/b" });
    expect(parseRoute("/console/profiles", "?q=ada%40example.com")).toEqual({ page: "profiles", query: "ada@example.com" });
    expect(parseRoute("/console/profiles/u-1", "?journey=cart")).toEqual({ page: "profile", id: "u-1", journey: "cart" });
    expect(parseRoute("/console/campaigns/")).toEqual({ page: "campaigns" });
    expect(parseRoute("/console/campaigns/spring")).toEqual({ page: "campaign", id: "spring" });
    for (const page of ["audiences", "messages", "alerts"]) expect(parseRoute(`/console/${page}`)).toEqual({ page });
    expect(parseRoute("/console/nowhere/x/y")).toEqual({ page: "journeys" });
  });

  it("round-trips its own links", () => {
    const href = new URL(profileHref("a b", "j/1"), "http://x");
    expect(parseRoute(href.pathname, href.search)).toEqual({ page: "profile", id: "a b", journey: "j/1" });
    expect(parseRoute(campaignHref("c?1"))).toEqual({ page: "campaign", id: "c?1" });
    expect(parseRoute(designHref("cart.v2"))).toEqual({ page: "design", id: "cart.v2" });
    expect(parseRoute("/console/journeys/cart/design/x")).toEqual({ page: "journeys" });
  });
});
