// A form for any object schema: one field per property, in the schema's order, each
// changing its own full path. NodeForm and SettingsForm are this over a node's definition
// and over the journey's top level.

import type { DesignProblem, DocPath, SetValue } from "../types";
import { FieldInput } from "./FieldInput";
import "./form.css";
import { asObject, fieldsOf, type JsonSchema } from "./schema";

export interface SchemaFormProps {
  /** The whole schema, which `$ref`s point into. */
  root: JsonSchema;
  /** The object schema whose properties are drawn. */
  schema: JsonSchema;
  value: unknown;
  /** The path of `value` in the definition; fields change `[...path, key]`. */
  path: DocPath;
  onChange: SetValue;
  problems: readonly DesignProblem[];
  /** Properties not drawn (`type` of a node, `nodes` of the journey, …). */
  skip?: readonly string[];
}

export function SchemaForm({ root, schema, value, path, onChange, problems, skip = [] }: SchemaFormProps) {
  const object = asObject(value) ?? {};
  return (
    <div className="schema-form">
      {fieldsOf(root, schema, skip).map((spec) => (
        <FieldInput
          key={spec.key}
          root={root}
          spec={spec}
          path={[...path, spec.key]}
          value={object[spec.key]}
          onChange={onChange}
          problems={problems}
        />
      ))}
    </div>
  );
}
