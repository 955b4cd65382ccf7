// Test mode on the canvas: run the definition being edited (unsaved) for a real or invented
// profile and a sequence of events, on the server's virtual clock; the canvas highlights
// the path (onPath) and the panel shows each visit, message and request — nothing is sent.

import { useId, useState } from "react";

import { ApiError } from "../api/client";
import { testJourney, type TestRunResult } from "./checkApi";
import { TestEvents } from "./TestEvents";
import { TestField } from "./TestField";
import { TestProfilePicker } from "./TestProfilePicker";
import { TestResult } from "./TestResult";
import { buildTestRequest, EMPTY_FORM, runOverlay, type FormErrors, type TestForm } from "./testRun";
import type { TakenEdges } from "./types";
import "./check.css";

export interface TestPanelProps {
  journeyId: string;
  definition: unknown;
  onPath: (taken: TakenEdges | null, visited: ReadonlySet<string>) => void;
}

/** Why the run failed; a 422 is the definition's problems, which the problems panel lists. */
function failure(e: unknown): string {
  if (e instanceof ApiError && e.status === 422) return `${e.message} (fix the problems listed in Problems first)`;
  return e instanceof Error ? e.message : String(e);
}

export function TestPanel({ journeyId, definition, onPath }: TestPanelProps) {
  const [form, setForm] = useState<TestForm>(EMPTY_FORM);
  const [errors, setErrors] = useState<FormErrors>({});
  const [result, setResult] = useState<TestRunResult | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const heading = useId();
  const change = (c: Partial<TestForm>): void => setForm((f) => ({ ...f, ...c }));
  const clear = (): void => {
    setResult(null);
    setFailed(null);
    onPath(null, new Set());
  };
  const run = (): void => {
    const built = buildTestRequest(form, definition);
    setErrors(built.errors);
    if (Object.keys(built.errors).length > 0) return;
    setRunning(true);
    setFailed(null);
    testJourney(journeyId, built.request).then(
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
    ).finally(() => setRunning(false));
  };
  return (
    <section className="card test-panel" aria-labelledby={heading}>
      <h2 id={heading}>Test</h2>
      <p className="sub">Runs what is on the canvas, saved or not, on a virtual clock: waits take no time and nothing is sent.</p>
      <TestProfilePicker form={form} errors={errors} onChange={change} />
      <TestField multiline label="Entry properties (JSON)" value={form.entryProperties} error={errors.entry_properties} onChange={(v) => change({ entryProperties: v })} />
      <TestEvents events={form.events} errors={errors} onChange={(events) => change({ events })} />
      <details>
        <summary>Action answers</summary>
        <TestField multiline label="Action responses (JSON, by action or data source)" value={form.actionResponses} error={errors.action_responses} onChange={(v) => change({ actionResponses: v })} />
        <TestField label="Failing actions (comma-separated)" value={form.failingActions} onChange={(v) => change({ failingActions: v })} />
      </details>
      <div className="actions">
        <button type="button" onClick={run} disabled={running} aria-busy={running}>Run test</button>
        {running && <span className="sub" role="status">Running…</span>}
        <button type="button" onClick={clear} disabled={!result && !failed}>Clear test</button>
      </div>
      {failed && <p className="field-error" role="alert">The test could not run: {failed}</p>}
      {result && <TestResult result={result} />}
    </section>
  );
}
