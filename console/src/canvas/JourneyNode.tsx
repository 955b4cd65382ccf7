// One node of the canvas: its type, id, label, key facts and live counts.

import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";

import { Time } from "../app/Time";
import { countLines, formatCount, useNodeCounts } from "./counts";
import type { GraphNode } from "./graph";
import type { PathOverlay } from "./path";
import { stepSummary } from "./path";
import { usePath } from "./visits";

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

/** The profile's visits of this node: how many, the last one's time and way out. */
function Visits({ id, path }: { id: string; path: PathOverlay }) {
  const visits = path.visits.get(id) ?? [];
  const last = visits.at(-1);
  if (!last) return <p className="node-visits muted">not visited</p>;
  return (
    <div className="node-visits" data-visits={visits.length}>
      {path.here === id && <strong className="here-badge">waiting here</strong>}
      <span>
        {visits.length > 1 ? `${visits.length} visits, last ` : "visited "}
        <Time at={last.entered_at} />
      </span>
      <span className="node-why">{stepSummary(last)}</span>
    </div>
  );
}

function pathClass(id: string, path: PathOverlay | null): string {
  if (!path) return "";
  if (path.here === id) return " on-path here";
  return path.visits.has(id) ? " on-path" : " off-path";
}

export function JourneyNode({ data, selected }: NodeProps<JourneyFlowNode>) {
  const { node } = data;
  const path = usePath();
  return (
    <div className={`journey-node type-${node.type}${selected ? " selected" : ""}${pathClass(node.id, path)}`}>
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
      {path ? <Visits id={node.id} path={path} /> : <Counts id={node.id} />}
      <Handle type="source" position={Position.Bottom} />
      <Handle id="loop-out" type="source" position={Position.Right} />
    </div>
  );
}
