// The console's few pages, as paths under /console/ (the API answers index.html for each).

import { useEffect, useState } from "react";

export const BASE = "/console/";

export type Route = { page: "journeys" } | { page: "journey"; id: string };

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : "";
  const match = /^journeys\/([^/]+)$/.exec(rest);
  return match?.[1] ? { page: "journey", id: decodeURIComponent(match[1]) } : { page: "journeys" };
}

export const journeyHref = (id: string): string => `${BASE}journeys/${encodeURIComponent(id)}`;

export function navigate(href: string): void {
  window.history.pushState(null, "", href);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(window.location.pathname));
    window.addEventListener("popstate", update);
    return () => window.removeEventListener("popstate", update);
  }, []);
  return route;
}
