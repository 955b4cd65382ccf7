// The events the test profile sends after its entry, each `after` an ISO 8601 duration.

import type { EventDraft, FormErrors } from "./testRun";

interface Props {
  events: EventDraft[];
  errors: FormErrors;
  onChange: (events: EventDraft[]) => void;
}

function Error({ text }: { text: string | undefined }) {
  return text ? <span className="field-error" role="alert">{text}</span> : null;
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
            <label>
              Event {i + 1} name
              <input value={e.name} onChange={(x) => edit(i, { name: x.target.value })} placeholder="order.completed" />
              <Error text={errors[`events[${i}].name`]} />
            </label>
            <label>
              Event {i + 1} after
              <input value={e.after} onChange={(x) => edit(i, { after: x.target.value })} placeholder="PT2H" />
              <Error text={errors[`events[${i}].after`]} />
            </label>
            <label>
              Event {i + 1} properties (JSON)
              <textarea value={e.properties} onChange={(x) => edit(i, { properties: x.target.value })} />
              <Error text={errors[`events[${i}].properties`]} />
            </label>
            <button type="button" onClick={() => onChange(events.filter((_, j) => j !== i))}>Remove event {i + 1}</button>
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => onChange([...events, { name: "", properties: "{}", after: "PT1H" }])}>Add event</button>
    </fieldset>
  );
}
