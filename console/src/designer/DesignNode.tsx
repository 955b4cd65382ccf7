// One node of the editable canvas: the read-only canvas's look, a handle per outgoing slot
// (named under it), the start and any problems marked.

import { Handle, Position, type NodeProps } from "@xyflow/react";

import type { DesignFlowNode } from "./flow";

function Problems({ problems }: { problems: readonly string[] }) {
  if (problems.length === 0) return null;
  const text = problems.join("\n");
  return (
    <span className="problem-mark" title={text} aria-label={`${problems.length} problem${problems.length > 1 ? "s" : ""}: ${text}`}>
      {problems.length}
    </span>
  );
}

function pathClass(visited: boolean | null): string {
  if (visited === null) return "";
  return visited ? " on-path" : " off-path";
}

export function DesignNode({ data, selected }: NodeProps<DesignFlowNode>) {
  const { node, slots, start, problems, visited } = data;
  const classes = `journey-node design-node type-${node.type}${selected ? " selected" : ""}${problems.length ? " has-problems" : ""}${pathClass(visited)}`;
  return (
    <div className={classes} data-node={node.id}>
      <Handle type="target" position={Position.Top} />
      <header>
        <span className="node-type">{node.type.replace(/_/g, " ")}</span>
        {start && <span className="start-badge">start</span>}
        <Problems problems={problems} />
        <span className="node-id">{node.id}</span>
      </header>
      {node.label && <p className="node-label">{node.label}</p>}
      <ul className="node-facts">
        {node.facts.slice(0, 4).map((fact) => (
          <li key={fact} title={fact}>
            {fact}
          </li>
        ))}
      </ul>
      <ol className="slot-row" aria-label="ways out">
        {slots.map((s, i) => (
          <li key={s.key} className={s.adds ? "slot adds" : s.target ? "slot set" : "slot"} style={{ left: `${((i + 0.5) / slots.length) * 100}%` }}>
            {s.label}
          </li>
        ))}
      </ol>
      {slots.map((s, i) => (
        <Handle
          key={s.key}
          id={s.key}
          type="source"
          position={Position.Bottom}
          style={{ left: `${((i + 0.5) / slots.length) * 100}%` }}
          title={s.adds ? `add to ${s.path[0]}` : s.label}
          className={s.adds ? "adds" : undefined}
        />
      ))}
    </div>
  );
}
