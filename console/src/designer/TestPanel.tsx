// Test mode on the canvas: run the definition being edited (unsaved) for a real or invented
// profile and a sequence of events, on the server's virtual clock; the canvas highlights
// the path and the panel shows each visit, message and request — nothing is sent. What was
// typed and the last result live in the session (useTestSession), which outlives the panel.

import { useId } from "react";

import { TestEvents } from "./TestEvents";
import { TestField } from "./TestField";
import { TestProfilePicker } from "./TestProfilePicker";
import { TestResult } from "./TestResult";
import type { TestSession } from "./useTestSession";
import "./check.css";

export interface TestPanelProps {
  session: TestSession;
  definition: unknown;
}

export function TestPanel({ session, definition }: TestPanelProps) {
  const { form, errors, result, failed, running, change } = session;
  const heading = useId();
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
        <button type="button" onClick={() => session.run(definition)} disabled={running} aria-busy={running}>Run test</button>
        {running && <span className="sub" role="status">Running…</span>}
        <button type="button" onClick={session.clear} disabled={!result && !failed}>Clear test</button>
      </div>
      {failed && <p className="field-error" role="alert">The test could not run: {failed}</p>}
      {result && <TestResult result={result} />}
    </section>
  );
}
