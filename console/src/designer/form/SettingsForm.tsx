// The journey's settings: every top-level field of the definition but its graph (`nodes`,
// `start`) and `id` — entry event and filter, audience entry, re-entry, exit criteria, entry
// window and caps, timeout, dry run — drawn from the JSON Schema like the node forms.

import type { DesignProblem, SetValue } from "../types";
import { DraftProvider } from "./DraftProvider";
import { Problems } from "./Problems";
import { SchemaForm } from "./SchemaForm";
import { problemsAt, type JsonSchema } from "./schema";

export const NOT_SETTINGS = ["id", "start", "nodes"] as const;

export interface SettingsFormProps {
  /** The journey JSON Schema (schemas/journey.schema.json, GET /v1/schemas/journey.json). */
  schema: object;
  definition: unknown;
  onChange: SetValue;
  problems: DesignProblem[];
}

export function SettingsForm({ schema, definition, onChange, problems }: SettingsFormProps) {
  const root = schema as JsonSchema;
  return (
    <DraftProvider definition={definition}>
      <form className="settings-form" aria-label="Journey settings" onSubmit={(e) => e.preventDefault()}>
        <Problems id={undefined} problems={problemsAt(problems, [])} />
        <SchemaForm root={root} schema={root} value={definition} path={[]} onChange={onChange} problems={problems} skip={NOT_SETTINGS} />
      </form>
    </DraftProvider>
  );
}
