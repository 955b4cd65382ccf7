// One node of the canvas: its type, id, label, key facts and live counts.

import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";

import { countLines, formatCount, useNodeCounts } from "./counts";
import type { GraphNode } from "./graph";

export type JourneyFlowNode = Node<{ node: GraphNode }, "journey">;

function Counts({ id }: { id: string }) {
  const lines = countLines(useNodeCounts(id));
  if (lines.length === 0) return null;
  return (
    <dl className="node-counts">
      {lines.map(([name, n]) => (
        <div key={name} className={n > 0 ? "count nonzero" : "count"} data-count={name}>
          <dt>{name}</dt>
          <dd>{formatCount(n)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function JourneyNode({ data, selected }: NodeProps<JourneyFlowNode>) {
  const { node } = data;
  return (
    <div className={`journey-node type-${node.type}${selected ? " selected" : ""}`}>
      <Handle type="target" position={Position.Top} />
      <Handle id="loop-in" type="target" position={Position.Right} />
      <header>
        <span className="node-type">{node.type.replace(/_/g, " ")}</span>
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
      <Counts id={node.id} />
      <Handle type="source" position={Position.Bottom} />
      <Handle id="loop-out" type="source" position={Position.Right} />
    </div>
  );
}
