// One labelled input with its help and its problems: the label is the field's title, so a
// person (or a browser test) finds the input by it.

import { useId } from "react";

import { placeholderOf, type ControlProps } from "./control";
import { DurationField } from "./DurationField";
import { ExpressionField } from "./ExpressionField";
import { described, type FieldProps } from "./fieldProps";
import { Problems } from "./Problems";
import { ReferenceField } from "./ReferenceField";
import { ScalarInput } from "./ScalarInput";
import type { FieldKind } from "./schema";

function Control({ type, control, defaultValue }: { type: FieldKind; control: ControlProps; defaultValue: unknown }) {
  switch (type.kind) {
    case "duration":
      return <DurationField {...control} />;
    case "expression":
      return <ExpressionField {...control} mode={type.mode} />;
    case "reference":
      return <ReferenceField {...control} refKind={type.ref} />;
    case "node":
      return <ReferenceField {...control} refKind="node" />;
    case "object":
    case "array":
    case "map":
      return null; // drawn by their own fields
    default:
      return <ScalarInput {...control} type={type} defaultValue={defaultValue} />;
  }
}

const examplesOf = (type: FieldKind): string[] => ("examples" in type ? type.examples : []);

export function LeafField(props: FieldProps) {
  const { spec, path, value, onChange } = props;
  const id = useId();
  const { mine, hintId, problemsId, describedBy } = described(id, props);
  const control: ControlProps = {
    id,
    label: spec.title,
    value,
    onValue: (next) => onChange(path, next),
    invalid: mine.length > 0,
    describedBy,
    required: spec.required,
    placeholder: placeholderOf(spec.default, examplesOf(spec.type)),
  };
  return (
    <div className={`field field-${spec.type.kind}${mine.length > 0 ? " invalid" : ""}`}>
      <label htmlFor={id}>{spec.title}</label>
      {spec.required && (
        <span className="required" aria-hidden="true">
          *
        </span>
      )}
      <Control type={spec.type} control={control} defaultValue={spec.default} />
      {hintId && (
        <small id={hintId} className="hint">
          {spec.description}
        </small>
      )}
      <Problems id={problemsId} problems={mine} />
    </div>
  );
}
