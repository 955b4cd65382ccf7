// The designer's calls of the public API: the schema it builds from, the saved design, and
// the draft it saves when valid.

import { ApiError, request } from "../api/client";
import type { JsonSchema } from "./slots";
import type { DesignProblem } from "./types";
import type { Positions } from "./draft";

export interface DesignPublic {
  journey_id: string;
  source: string;
  format: "yaml" | "json";
  positions: Positions;
  updated_at: string;
  updated_by: string;
}

export interface StoredJourney {
  journey_id: string;
  draft: unknown;
}

const journeyPath = (id: string): string => `/v1/journeys/${encodeURIComponent(id)}`;

export const journeySchema = (): Promise<JsonSchema> => request("/v1/schemas/journey.json");

/** The value, or null when the API answers 404 (nothing saved yet). */
async function orNone<T>(loading: Promise<T>): Promise<T | null> {
  try {
    return await loading;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export const storedJourney = (id: string): Promise<StoredJourney | null> => orNone(request(journeyPath(id)));

export const storedDesign = (id: string): Promise<DesignPublic | null> => orNone(request(`${journeyPath(id)}/design`));

export const saveDesign = (id: string, source: string, positions: Positions): Promise<DesignPublic> =>
  request(`${journeyPath(id)}/design`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ source, format: "yaml", positions }),
  });

const YAML = { "Content-Type": "application/yaml" };

export const validateYaml = (text: string): Promise<{ valid: boolean; problems: DesignProblem[] }> =>
  request("/v1/journeys/validate", { method: "POST", headers: YAML, body: text });

export const saveDraft = (id: string, text: string): Promise<unknown> =>
  request(journeyPath(id), { method: "PUT", headers: YAML, body: text });
