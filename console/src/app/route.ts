// The console's pages, as paths under /console/ (the API answers index.html for each).

import { useEffect, useState } from "react";

export const BASE = "/console/";

export type Route =
  | { page: "journeys" }
  | { page: "journey"; id: string }
  | { page: "design"; id: string }
  | { page: "profiles"; query: string }
  | { page: "profile"; id: string; journey: string | null }
  | { page: "campaigns" }
  | { page: "campaign"; id: string }
  | { page: "audiences" }
  | { page: "messages" }
  | { page: "alerts" };

const LISTS = new Set(["journeys", "profiles", "campaigns", "audiences", "messages", "alerts"]);

export function parseRoute(pathname: string, search = ""): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length).replace(/\/$/, "") : "";
  const params = new URLSearchParams(search);
  const [section, id, more, extra] = rest.split("/");
  if (section === "journeys" && id && more === "design" && !extra) return { page: "design", id: decodeURIComponent(id) };
  if (section && id && !more) {
    const name = decodeURIComponent(id);
    if (section === "journeys") return { page: "journey", id: name };
    if (section === "profiles") return { page: "profile", id: name, journey: params.get("journey") };
    if (section === "campaigns") return { page: "campaign", id: name };
  }
  if (section === "profiles" && !id) return { page: "profiles", query: params.get("q") ?? "" };
  if (section && !id && LISTS.has(section)) return { page: section } as Route;
  return { page: "journeys" };
}

export const journeyHref = (id: string): string => `${BASE}journeys/${encodeURIComponent(id)}`;

export const designHref = (id: string): string => `${BASE}journeys/${encodeURIComponent(id)}/design`;

export const profileHref = (id: string, journey?: string | null): string =>
  `${BASE}profiles/${encodeURIComponent(id)}${journey ? `?journey=${encodeURIComponent(journey)}` : ""}`;

export const campaignHref = (id: string): string => `${BASE}campaigns/${encodeURIComponent(id)}`;

export function navigate(href: string, replace = false): void {
  if (replace) window.history.replaceState(null, "", href);
  else window.history.pushState(null, "", href);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): Route {
  const read = (): Route => parseRoute(window.location.pathname, window.location.search);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = (): void => setRoute(read());
    window.addEventListener("popstate", update);
    return () => window.removeEventListener("popstate", update);
  }, []);
  return route;
}
