// The plain inputs: text, numbers, a checkbox, a select for an enumeration, free JSON.

import { jsonFrom, numberFrom, textFrom, toText, type ControlProps } from "./control";
import type { FieldKind } from "./schema";

type Scalar = Extract<FieldKind, { kind: "string" | "integer" | "number" | "boolean" | "enum" | "json" }>;

interface Props extends ControlProps {
  type: Scalar;
  defaultValue: unknown;
}

function aria(p: ControlProps) {
  return { id: p.id, "aria-invalid": p.invalid || undefined, "aria-describedby": p.describedBy, required: p.required };
}

function Select({ type, defaultValue, ...p }: Props & { type: { kind: "enum"; options: string[] } }) {
  const value = toText(p.value);
  const blank = defaultValue !== undefined && defaultValue !== null ? `(default: ${toText(defaultValue)})` : "—";
  const options = value && !type.options.includes(value) ? [...type.options, value] : type.options;
  return (
    <select {...aria(p)} value={value} onChange={(e) => p.onValue(textFrom(e.target.value))}>
      {(!p.required || !value) && <option value="">{blank}</option>}
      {options.map((o) => (
        <option key={o} value={o}>
          {o}
        </option>
      ))}
    </select>
  );
}

function Checkbox({ defaultValue, ...p }: Props) {
  const checked = typeof p.value === "boolean" ? p.value : defaultValue === true;
  return <input {...aria(p)} type="checkbox" checked={checked} onChange={(e) => p.onValue(e.target.checked)} />;
}

export function ScalarInput(props: Props) {
  const { type, ...p } = props;
  if (type.kind === "enum") return <Select {...props} type={type} />;
  if (type.kind === "boolean") return <Checkbox {...props} />;
  const numeric = type.kind === "integer" || type.kind === "number";
  const parse = numeric ? numberFrom : type.kind === "json" ? jsonFrom : textFrom;
  return (
    <input
      {...aria(p)}
      type={numeric ? "number" : "text"}
      step={type.kind === "number" ? "any" : undefined}
      min={numeric ? (type.minimum ?? undefined) : undefined}
      max={numeric ? (type.maximum ?? undefined) : undefined}
      className={type.kind === "json" ? "code" : undefined}
      value={toText(p.value)}
      placeholder={p.placeholder}
      onChange={(e) => p.onValue(parse(e.target.value))}
    />
  );
}
