// A list: one field per item (`Branches 1`, `Branches 2`, …), each removable, and a button
// that adds one. Removing deletes that item only, so comments on the others survive.

import { useId } from "react";

import { initialValue } from "./control";
import { FieldInput } from "./FieldInput";
import { described, type FieldProps } from "./fieldProps";
import { Problems } from "./Problems";
import type { FieldKind } from "./schema";

export function ArrayField(props: FieldProps & { item: FieldKind }) {
  const { root, spec, path, value, onChange, problems, item } = props;
  const id = useId();
  const { mine, hintId, problemsId, describedBy } = described(id, props);
  const items = Array.isArray(value) ? (value as unknown[]) : [];
  return (
    <fieldset className={`field-array${mine.length > 0 ? " invalid" : ""}`} aria-describedby={describedBy}>
      <legend>{spec.title}</legend>
      {hintId && (
        <small id={hintId} className="hint">
          {spec.description}
        </small>
      )}
      <Problems id={problemsId} problems={mine} />
      {items.map((entry, i) => {
        const title = `${spec.title} ${i + 1}`;
        const itemSpec = { ...spec, key: String(i), title, description: null, required: true, optional: false, type: item };
        return (
          <div className={`array-item${item.kind === "object" ? " of-object" : ""}`} key={i}>
            <FieldInput root={root} spec={itemSpec} path={[...path, i]} value={entry} onChange={onChange} problems={problems} />
            <button type="button" className="remove" onClick={() => onChange([...path, i], undefined)}>
              <span aria-hidden="true">Remove</span>
              <span className="visually-hidden">Remove {title}</span>
            </button>
          </div>
        );
      })}
      <button type="button" className="add" onClick={() => onChange([...path, items.length], initialValue(item))}>
        Add to {spec.title}
      </button>
    </fieldset>
  );
}
