// What the form fields read besides the schema: the draft's node ids and event names, the
// API's lists and the expression names. A context, so the Designer gives the draft once
// (`DraftProvider`) and tests give fixed lists instead of the API.

import { createContext, useContext } from "react";

import type { DraftNames } from "./completion";
import { loadExpressionNames, type ExpressionNames } from "./names";
import { loadOptions, type PickerOption } from "./pickers";

export interface FormEnv extends DraftNames {
  /** The choices of a reference field of this `x-wayline-ref` kind. */
  options: (kind: string) => Promise<PickerOption[]>;
  names: () => Promise<ExpressionNames>;
}

export const DEFAULT_ENV: FormEnv = {
  nodeIds: [],
  eventNames: [],
  options: loadOptions,
  names: loadExpressionNames,
};

export const FormEnvContext = createContext<FormEnv>(DEFAULT_ENV);

export const useFormEnv = (): FormEnv => useContext(FormEnvContext);
