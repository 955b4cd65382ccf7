// The calls the publish panel makes: the journey with its approval and the profiles in
// flight, the live version, the draft as publish would store it, publish and approval.

import { request } from "../api/client";
import type { JourneyPublic, Published } from "../api/types";

export interface KeyRef {
  key_id: string;
  name: string | null;
}

export interface Approval {
  state: "none" | "requested" | "approved";
  draft_updated_at: string | null;
  draft_updated_by: KeyRef | null;
  requested_by: KeyRef | null;
  requested_at: string | null;
  approved_by: KeyRef | null;
  approved_at: string | null;
}

export interface InFlight {
  version: number;
  profiles: number;
}

/** `GET /v1/journeys/{id}` with the approval and the profiles inside each version. */
export interface JourneyForPublish extends JourneyPublic {
  /** The saved draft, as it was PUT. */
  draft: unknown;
  requires_approval: boolean;
  approval: Approval;
  in_flight: InFlight[];
}

interface Validation {
  valid: boolean;
  definition?: unknown;
}

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

const path = (id: string): string => `/v1/journeys/${encodeURIComponent(id)}`;

export const journeyForPublish = (id: string): Promise<JourneyForPublish> => request(path(id));

export const liveDefinition = async (id: string, version: number): Promise<unknown> =>
  (await request<{ definition: unknown }>(`${path(id)}/versions/${version}`)).definition;

/** The definition with its defaults filled in as publish stores it; null when invalid. */
export const normalized = async (definition: unknown): Promise<unknown> => {
  const answer = await request<Validation>("/v1/journeys/validate", json(definition));
  return answer.valid ? (answer.definition ?? null) : null;
};

export const publish = (id: string): Promise<Published> => request(`${path(id)}/publish`, { method: "POST" });

export const requestApproval = (id: string): Promise<JourneyForPublish> =>
  request(`${path(id)}/approval-request`, { method: "POST" });

/** Approve the draft as read (`seen`, its draft_updated_at): refused when it changed since. */
export const approve = (id: string, seen: string | null): Promise<JourneyForPublish> =>
  request(`${path(id)}/approve`, json({ draft_updated_at: seen }));

export const setApprovalPolicy = (id: string, required: boolean): Promise<JourneyForPublish> =>
  request(`${path(id)}/approval-policy`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ requires_approval: required }),
  });
