// A labelled input or text area of the test panel with its error below it: the error is
// the field's description, not part of its name, so "Profile id" stays "Profile id".

import { useId } from "react";

interface Props {
  label: string;
  value: string;
  error?: string | undefined;
  onChange: (value: string) => void;
  multiline?: boolean;
  placeholder?: string;
}

export function TestField({ label, value, error, onChange, multiline = false, placeholder }: Props) {
  const id = useId();
  const common = {
    id,
    value,
    placeholder,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": error ? `${id}-error` : undefined,
  };
  return (
    <div className="test-field">
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea {...common} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input {...common} onChange={(e) => onChange(e.target.value)} />
      )}
      {error && <span id={`${id}-error`} className="field-error" role="alert">{error}</span>}
    </div>
  );
}
