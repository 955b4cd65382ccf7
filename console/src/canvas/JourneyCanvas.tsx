// The published graph of one version, laid out once per definition; the counts change
// underneath it without moving a node.

import { Background, Controls, ReactFlow, type NodeChange } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useMemo } from "react";

import type { JourneyDefinition, JourneyReport, PathCounts } from "../api/types";
import { byNode, CountsContext } from "./counts";
import { flowEdges, flowNodes } from "./flow";
import { journeyGraph } from "./graph";
import { JourneyNode } from "./JourneyNode";
import { layout } from "./layout";
import type { PathOverlay } from "./path";
import { PathContext } from "./visits";

const nodeTypes = { journey: JourneyNode };

interface Props {
  definition: JourneyDefinition;
  report: JourneyReport | null;
  selected: string | null;
  onSelect: (nodeId: string | null) => void;
  /** A profile's run drawn over the graph instead of the live counts. */
  path?: PathOverlay | null;
}

export function JourneyCanvas({ definition, report, selected, onSelect, path = null }: Props) {
  const graph = useMemo(() => journeyGraph(definition), [definition]);
  const placed = useMemo(() => layout(graph), [graph]);
  const laid = useMemo(() => flowNodes(graph, placed), [graph, placed]);
  // Only the selected node is a new object: the others keep their identity, so selecting one
  // re-renders it (and the one it replaces), not all of them.
  const nodes = useMemo(() => laid.map((n) => (n.id === selected ? { ...n, selected: true } : n)), [laid, selected]);
  const counts = useMemo(() => byNode(report?.nodes ?? []), [report]);
  const paths = useMemo(() => {
    const found = new Map<string, PathCounts[]>();
    for (const n of report?.nodes ?? []) if (n.paths) found.set(n.node, n.paths);
    return found;
  }, [report]);
  const edges = useMemo(() => flowEdges(graph, placed, paths, path?.taken ?? null), [graph, placed, paths, path]);
  // Only selection changes are taken (click, Enter or Space on a focused node): the
  // positions stay the layout's.
  const changed = useCallback(
    (changes: NodeChange[]) => {
      for (const c of changes) if (c.type === "select" && c.selected) onSelect(c.id);
    },
    [onSelect],
  );
  return (
    <CountsContext.Provider value={counts}>
      <PathContext.Provider value={path}>
      <div className="canvas" aria-label={path ? `Path on ${definition.id}` : `Canvas of ${definition.id}`}>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          onNodesChange={changed}
          onPaneClick={() => onSelect(null)}
          nodesConnectable={false}
          nodesDraggable={false}
          nodesFocusable
          fitView
          minZoom={0.2}
          proOptions={{ hideAttribution: true }}
        >
          <Background />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
      </PathContext.Provider>
    </CountsContext.Provider>
  );
}
