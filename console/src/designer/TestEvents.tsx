// The events the test profile sends after its entry, each `after` an ISO 8601 duration.

import { TestField } from "./TestField";
import type { EventDraft, FormErrors } from "./testRun";

interface Props {
  events: EventDraft[];
  errors: FormErrors;
  onChange: (events: EventDraft[]) => void;
}

export function TestEvents({ events, errors, onChange }: Props) {
  const edit = (i: number, change: Partial<EventDraft>): void =>
    onChange(events.map((e, j) => (j === i ? { ...e, ...change } : e)));
  return (
    <fieldset>
      <legend>Events after the entry</legend>
      {events.length === 0 && <p className="muted">None: the run sees only its entry event.</p>}
      <ol className="plain">
        {events.map((e, i) => (
          <li key={i} className="test-event" aria-label={`Event ${i + 1}`}>
            <TestField label={`Event ${i + 1} name`} value={e.name} error={errors[`events[${i}].name`]} onChange={(v) => edit(i, { name: v })} placeholder="order.completed" />
            <TestField label={`Event ${i + 1} after`} value={e.after} error={errors[`events[${i}].after`]} onChange={(v) => edit(i, { after: v })} placeholder="PT2H" />
            <TestField label={`Event ${i + 1} properties (JSON)`} multiline value={e.properties} error={errors[`events[${i}].properties`]} onChange={(v) => edit(i, { properties: v })} />
            <button type="button" onClick={() => onChange(events.filter((_, j) => j !== i))}>Remove event {i + 1}</button>
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => onChange([...events, { name: "", properties: "{}", after: "PT1H" }])}>Add event</button>
    </fieldset>
  );
}
