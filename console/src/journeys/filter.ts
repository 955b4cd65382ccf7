// Filtering the journeys list: a status and a search over id and name.

import type { JourneyOverview } from "../api/types";

export interface JourneyFilter {
  status: string;
  search: string;
}

export function filterJourneys(items: JourneyOverview[], { status, search }: JourneyFilter): JourneyOverview[] {
  const needle = search.trim().toLowerCase();
  return items.filter(
    (j) =>
      (status === "all" || j.status === status) &&
      (!needle || j.journey_id.toLowerCase().includes(needle) || j.name.toLowerCase().includes(needle)),
  );
}

export const formatRate = (rate: number | null): string => (rate === null ? "–" : `${(100 * rate).toFixed(1)}%`);
