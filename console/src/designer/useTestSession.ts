// A test session of the designer: the test form (profile, events, answers), its errors and
// the last run's result. Owned by the designer's body, not by the Test panel, so switching
// to another side-panel tab and back keeps it for as long as the designer is open.

import { useState } from "react";

import { ApiError } from "../api/client";
import { testJourney, type TestRunResult } from "./checkApi";
import { buildTestRequest, EMPTY_FORM, runOverlay, type FormErrors, type TestForm } from "./testRun";
import type { TakenEdges } from "./types";

/** Where the canvas draws a run's path; null and an empty set when there is none. */
export type OnPath = (taken: TakenEdges | null, visited: ReadonlySet<string>) => void;

export interface TestSession {
  form: TestForm;
  errors: FormErrors;
  result: TestRunResult | null;
  failed: string | null;
  running: boolean;
  change: (change: Partial<TestForm>) => void;
  /** Run `definition` (the draft on the canvas, saved or not) with the form's profile and events. */
  run: (definition: unknown) => void;
  /** Forget the result (and the path drawn); the form stays. */
  clear: () => void;
}

/** Why the run failed; a 422 is the definition's problems, which the problems panel lists. */
function failure(e: unknown): string {
  if (e instanceof ApiError && e.status === 422) return `${e.message} (fix the problems listed in Problems first)`;
  return e instanceof Error ? e.message : String(e);
}

export function useTestSession(journeyId: string, onPath: OnPath): TestSession {
  const [form, setForm] = useState<TestForm>(EMPTY_FORM);
  const [errors, setErrors] = useState<FormErrors>({});
  const [result, setResult] = useState<TestRunResult | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const change = (c: Partial<TestForm>): void => setForm((f) => ({ ...f, ...c }));
  const clear = (): void => {
    setResult(null);
    setFailed(null);
    onPath(null, new Set());
  };
  const run = (definition: unknown): void => {
    const built = buildTestRequest(form, definition);
    setErrors(built.errors);
    if (Object.keys(built.errors).length > 0) return;
    setRunning(true);
    setFailed(null);
    testJourney(journeyId, built.request)
      .then(
        (answer) => {
          setResult(answer);
          const { taken, visited } = runOverlay(answer);
          onPath(taken, visited);
        },
        (e: unknown) => {
          setResult(null);
          setFailed(failure(e));
          onPath(null, new Set());
        },
      )
      .finally(() => setRunning(false));
  };
  return { form, errors, result, failed, running, change, run, clear };
}
