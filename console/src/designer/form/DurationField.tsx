// An ISO 8601 duration: the text itself (always editable, named by the field's title) and a
// helper, an "Amount" and a "Unit" that write "PT2H" for 2 hours. A duration of several units
// shows only as text (and in words). The helper's names leave the title out, so a search by
// the title finds the text input alone.

import { toText, textFrom, type ControlProps } from "./control";
import { describeDuration, joinDuration, splitDuration, UNITS, type DurationUnit } from "./duration";

export function DurationField(p: ControlProps) {
  const text = toText(p.value);
  const simple = splitDuration(text);
  const unit: DurationUnit = simple?.unit ?? "hours";
  const said = describeDuration(text);
  const set = (amount: string, next: DurationUnit) =>
    p.onValue(amount === "" ? undefined : joinDuration({ amount: Number(amount), unit: next }));
  return (
    <span className="duration">
      <input
        id={p.id}
        className="code"
        value={text}
        placeholder={p.placeholder}
        required={p.required}
        aria-invalid={p.invalid || undefined}
        aria-describedby={p.describedBy}
        onChange={(e) => p.onValue(textFrom(e.target.value))}
      />
      <input
        type="number"
        min={0}
        step={1}
        aria-label="Amount"
        value={simple ? String(simple.amount) : ""}
        onChange={(e) => set(e.target.value, unit)}
      />
      <select aria-label="Unit" value={unit} onChange={(e) => set(String(simple?.amount ?? 1), e.target.value as DurationUnit)}>
        {UNITS.map((u) => (
          <option key={u.unit} value={u.unit}>
            {u.unit}
          </option>
        ))}
      </select>
      {said && text && !simple && <span className="said">{said}</span>}
    </span>
  );
}
