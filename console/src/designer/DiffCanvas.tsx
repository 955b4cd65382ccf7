// What publishing changes, drawn: the draft's graph with the live version's removed nodes and
// edges beside it; added green, removed red, changed amber. Read-only.

import { Background, Controls, ReactFlow } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";

import type { JourneyDefinition } from "../api/types";
import { flowEdges, flowNodes } from "../canvas/flow";
import { JourneyNode } from "../canvas/JourneyNode";
import { layout } from "../canvas/layout";
import { edgeKey } from "../canvas/path";
import type { GraphDiff } from "./diff";
import { diffGraph } from "./diffGraph";

const nodeTypes = { journey: JourneyNode };
const NO_PATHS = new Map();

interface Props {
  live: JourneyDefinition | null;
  draft: JourneyDefinition;
  diff: GraphDiff;
}

export function DiffCanvas({ live, draft, diff }: Props) {
  const drawn = useMemo(() => diffGraph(live, draft, diff), [live, draft, diff]);
  const placed = useMemo(() => layout(drawn.graph), [drawn]);
  const nodes = useMemo(
    () =>
      flowNodes(drawn.graph, placed).map((n) => {
        const mark = drawn.nodes.get(n.id);
        return mark ? { ...n, className: `diff-${mark}`, ariaLabel: `${n.ariaLabel ?? n.id} (${mark})`, focusable: true } : n;
      }),
    [drawn, placed],
  );
  const edges = useMemo(
    () =>
      flowEdges(drawn.graph, placed, NO_PATHS).map((e) => {
        const mark = drawn.edges.get(edgeKey(e.source, e.target));
        if (!mark) return e;
        return { ...e, className: [e.className, `diff-${mark}`].filter(Boolean).join(" "), ariaLabel: `${e.ariaLabel ?? e.id} (${mark})` };
      }),
    [drawn, placed],
  );
  return (
    <figure className="diff-canvas-figure">
      <div className="canvas diff-canvas" aria-label="Graph diff">
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          nodesConnectable={false}
          nodesDraggable={false}
          elementsSelectable={false}
          nodesFocusable
          fitView
          minZoom={0.2}
          proOptions={{ hideAttribution: true }}
        >
          <Background />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
      <figcaption className="diff-legend" aria-label="Legend">
        <span className="diff-key diff-added">added</span>
        <span className="diff-key diff-removed">removed (from the live version)</span>
        <span className="diff-key diff-changed">changed</span>
      </figcaption>
    </figure>
  );
}
