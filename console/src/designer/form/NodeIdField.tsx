// The node's id, editable at the top of its form: a new id is checked as it is typed (the
// server's rule, and not another node's id), and applied on Enter or when the field is left;
// Escape gives back the current id. A refused id stays in the field with why, unapplied.

import { useId, useState, type KeyboardEvent } from "react";

import { nodeIdProblem } from "../nodeId";
import { useFormEnv } from "./env";
import { Problems } from "./Problems";

export interface NodeIdFieldProps {
  nodeId: string;
  /** Rename the node; answers why the id was refused, or null once renamed. */
  onRename: (to: string) => string | null;
}

export function NodeIdField({ nodeId, onRename }: NodeIdFieldProps) {
  const id = useId();
  const { nodeIds } = useFormEnv();
  const [text, setText] = useState(nodeId);
  const [refused, setRefused] = useState<string | null>(null);
  const wanted = text.trim();
  const problem = nodeIdProblem(nodeId, wanted, nodeIds) ?? refused;
  const problemsId = problem ? `${id}-problems` : undefined;
  const commit = (): void => {
    if (problem === null && wanted !== nodeId) setRefused(onRename(wanted));
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>): void => {
    if (e.key === "Enter") {
      e.preventDefault();
      commit();
    } else if (e.key === "Escape") {
      setText(nodeId);
      setRefused(null);
    }
  };
  return (
    <div className={`field field-node-id${problem ? " invalid" : ""}`}>
      <label htmlFor={id}>Id</label>
      <input
        id={id}
        className="code"
        value={text}
        required
        spellCheck={false}
        autoComplete="off"
        aria-invalid={problem ? true : undefined}
        aria-describedby={[problemsId, `${id}-hint`].filter(Boolean).join(" ")}
        onChange={(e) => {
          setText(e.target.value);
          setRefused(null);
        }}
        onBlur={commit}
        onKeyDown={onKeyDown}
      />
      <small id={`${id}-hint`} className="hint">
        Renaming rewrites every reference to this node: the ways in, the start, reactions and <code>vars.{nodeId}</code> in expressions.
      </small>
      <Problems id={problemsId} problems={problem ? [{ path: "", message: problem }] : []} />
    </div>
  );
}
