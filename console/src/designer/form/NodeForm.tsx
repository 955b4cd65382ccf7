// The properties pane of one node: its type's definition in the journey JSON Schema drawn
// as a form. Every change is a full path (["nodes", nodeId, …]); the node's own problems
// (an unreachable node, an unknown type) are listed at the top, the others beside their fields.
// Its id, first, is renamed through `onRename` (every reference follows), not as a value.

import type { DesignProblem, SetValue } from "../types";
import { NodeIdField } from "./NodeIdField";
import { Problems } from "./Problems";
import { SchemaForm } from "./SchemaForm";
import { asObject, nodeDefinition, nodeDefinitions, problemsAt, type JsonSchema } from "./schema";

export interface NodeFormProps {
  /** The journey JSON Schema (schemas/journey.schema.json, GET /v1/schemas/journey.json). */
  schema: object;
  nodeId: string;
  node: unknown;
  onChange: SetValue;
  problems: DesignProblem[];
  /** Rename the node (its id field is shown only with it); answers why not, or null. */
  onRename?: (to: string) => string | null;
}

export function NodeForm({ schema, nodeId, node, onChange, problems, onRename }: NodeFormProps) {
  const root = schema as JsonSchema;
  const type = asObject(node)?.type;
  const def = nodeDefinition(root, type);
  const path = ["nodes", nodeId];
  const own = [...problemsAt(problems, path), ...problemsAt(problems, [...path, "type"])];
  const description = typeof def?.description === "string" ? def.description : null;
  return (
    <form className="node-form" aria-label={`Node ${nodeId}`} onSubmit={(e) => e.preventDefault()}>
      <h3>
        <code>{nodeId}</code> <span className="node-type">{typeof type === "string" ? type : "no type"}</span>
      </h3>
      {onRename && (
        <div className="schema-form">
          <NodeIdField key={nodeId} nodeId={nodeId} onRename={onRename} />
        </div>
      )}
      {description && <p className="hint">{description}</p>}
      <Problems id={undefined} problems={own} />
      {def ? (
        <SchemaForm root={root} schema={def} value={node} path={path} onChange={onChange} problems={problems} skip={["type"]} />
      ) : (
        <p role="alert">
          Unknown node type; the schema knows {[...nodeDefinitions(root).keys()].join(", ")}.
        </p>
      )}
    </form>
  );
}
