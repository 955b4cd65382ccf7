// Gives the form fields the draft's node ids (node pickers, `vars.` completion) and event
// names (event fields, `events.` completion). The Designer wraps the properties pane in it.

import { useMemo, type ReactNode } from "react";

import { FormEnvContext, useFormEnv } from "./env";
import { draftEventNames, draftNodeIds } from "./pickers";

interface Props {
  definition: unknown;
  children: ReactNode;
}

export function DraftProvider({ definition, children }: Props) {
  const outer = useFormEnv();
  const nodeIds = draftNodeIds(definition).join("\n");
  const eventNames = draftEventNames(definition).join("\n");
  const env = useMemo(
    () => ({ ...outer, nodeIds: nodeIds ? nodeIds.split("\n") : [], eventNames: eventNames ? eventNames.split("\n") : [] }),
    [outer, nodeIds, eventNames],
  );
  return <FormEnvContext.Provider value={env}>{children}</FormEnvContext.Provider>;
}
