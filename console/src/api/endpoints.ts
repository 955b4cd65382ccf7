// Typed calls of the documented endpoints the console uses.

import { request } from "./client";
import type { JourneyPublic, JourneyReport, JourneysOverview, JourneyVersion, Me, Published } from "./types";

export const me = (key?: string): Promise<Me> => request<Me>("/v1/me", {}, key);

export const journeysOverview = (window: string): Promise<JourneysOverview> =>
  request(`/v1/reports/journeys?window=${encodeURIComponent(window)}`);

const journeyPath = (id: string): string => `/v1/journeys/${encodeURIComponent(id)}`;

export const journey = (id: string): Promise<JourneyPublic> => request(journeyPath(id));

export const journeyVersion = (id: string, version: number): Promise<JourneyVersion> =>
  request(`${journeyPath(id)}/versions/${version}`);

export const journeyReport = (id: string, version: number): Promise<JourneyReport> =>
  request(`${journeyPath(id)}/report?version=${version}`);

export const publishJourney = (id: string): Promise<Published> =>
  request(`${journeyPath(id)}/publish`, { method: "POST" });

export const stopJourney = (id: string): Promise<unknown> =>
  request(`${journeyPath(id)}/stop`, { method: "POST" });
