// The calls the designer's checks make: validate the working copy, test-run it. The working
// copy goes as JSON, so what is checked is exactly what the canvas holds, saved or not.

import { request } from "../api/client";
import type { Check } from "../api/types";
import type { DesignProblem } from "./types";

export interface Validation {
  valid: boolean;
  problems: DesignProblem[];
}

const json = (body: unknown, signal?: AbortSignal): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
  signal,
});

/** POST /v1/journeys/validate with the templates checked, as publish checks them. */
export const validateDefinition = (definition: unknown, signal?: AbortSignal): Promise<Validation> =>
  request("/v1/journeys/validate?check_templates=true", json(definition, signal));

export interface TestProfile {
  profile_id: string;
  email?: string | null;
  phone?: string | null;
  timezone?: string | null;
  attributes: Record<string, unknown>;
}

export interface TestEvent {
  name: string;
  properties: Record<string, unknown>;
  after: string;
}

export interface TestRunRequest {
  profile: TestProfile;
  entry_properties: Record<string, unknown>;
  events: TestEvent[];
  action_responses: Record<string, Record<string, unknown>>;
  failing_actions: string[];
  definition?: unknown;
}

/** A node visit of a test run (`path` of the answer). */
export interface TestPathStep {
  node: string;
  type: string;
  entered_at: string;
  left_at: string | null;
  outcome: string | null;
}

/** A node visit with what it evaluated (`visits` of the answer). */
export interface TestVisit extends TestPathStep {
  visit: number;
  seq: number | null;
  detail: string | null;
  checks: Check[];
}

/** What a side effect would have done (`steps`): a message, an action or fetch request … */
export interface TestStep {
  at: string;
  node: string | null;
  kind: string;
  [field: string]: unknown;
}

export interface TestRunResult {
  entered: boolean;
  status: string;
  reason: string | null;
  started_at: string;
  ended_at: string;
  path: TestPathStep[];
  steps: TestStep[];
  visits?: TestVisit[];
  vars: Record<string, unknown>;
  profile: Record<string, unknown>;
}

/** POST /v1/journeys/{id}/test of an inline definition: nothing saved, nothing sent. */
export const testJourney = (journeyId: string, body: TestRunRequest): Promise<TestRunResult> =>
  request(`/v1/journeys/${encodeURIComponent(journeyId)}/test`, json(body));
