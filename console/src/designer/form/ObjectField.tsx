// A nested object as a fieldset of its own fields. An optional one that is absent is a
// button that adds it (empty: the validator then names what it needs), and can be removed.

import { useId } from "react";

import { described, type FieldProps } from "./fieldProps";
import { Problems } from "./Problems";
import { SchemaForm } from "./SchemaForm";
import type { JsonSchema } from "./schema";

export function ObjectField(props: FieldProps & { schema: JsonSchema }) {
  const { root, spec, path, value, onChange, problems, schema } = props;
  const id = useId();
  const { mine, hintId, problemsId, describedBy } = described(id, props);
  const present = value !== undefined && value !== null;
  const hint = hintId && (
    <small id={hintId} className="hint">
      {spec.description}
    </small>
  );
  if (!present && !spec.required) {
    return (
      <div className="field field-absent">
        <button type="button" aria-describedby={describedBy} onClick={() => onChange(path, {})}>
          Add {spec.title}
        </button>
        {hint}
        <Problems id={problemsId} problems={mine} />
      </div>
    );
  }
  return (
    <fieldset className={`field-object${mine.length > 0 ? " invalid" : ""}`} aria-describedby={describedBy}>
      <legend>{spec.title}</legend>
      {!spec.required && (
        <button type="button" className="remove" onClick={() => onChange(path, undefined)}>
          Remove {spec.title}
        </button>
      )}
      {hint}
      <Problems id={problemsId} problems={mine} />
      <SchemaForm root={root} schema={schema} value={value} path={path} onChange={onChange} problems={problems} />
    </fieldset>
  );
}
