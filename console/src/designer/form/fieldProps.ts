// The props every field of a form gets, and the ids that tie its help and problems to it.

import type { DesignProblem, DocPath, SetValue } from "../types";
import { problemsAt, type FieldSpec, type JsonSchema } from "./schema";

export interface FieldProps {
  root: JsonSchema;
  spec: FieldSpec;
  /** The field's full path in the definition. */
  path: DocPath;
  value: unknown;
  onChange: SetValue;
  problems: readonly DesignProblem[];
}

export interface Described {
  mine: DesignProblem[];
  hintId: string | undefined;
  problemsId: string | undefined;
  describedBy: string | undefined;
}

/** The field's own problems and the ids of its help and problem texts (for aria-describedby). */
export function described(id: string, props: FieldProps): Described {
  const mine = problemsAt(props.problems, props.path);
  const hintId = props.spec.description ? `${id}-hint` : undefined;
  const problemsId = mine.length > 0 ? `${id}-problems` : undefined;
  const describedBy = [problemsId, hintId].filter(Boolean).join(" ") || undefined;
  return { mine, hintId, problemsId, describedBy };
}
