// The editable canvas: nodes dragged (positions kept in the draft), slots connected and
// reconnected by dragging from a node's handles, nodes and edges deleted with Delete or
// Backspace, node types dropped from the palette. Every change is one new draft.

import {
  Background,
  Controls,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useMemo, useState, type DragEvent } from "react";

import { connect, definitionOf, moveNodes, removeNodes, type Draft, type Point, type Positions } from "./draft";
import { designEdges, designNodes, type Overlay } from "./flow";
import { DesignNode } from "./DesignNode";
import { nodesOf } from "./graph";
import type { SlotsOf } from "./slots";

const nodeTypes = { design: DesignNode };
/** Never zoomed in past 100 %: one node alone stays its size. */
export const FIT = { maxZoom: 1, padding: 0.2 };
export const DRAG_TYPE = "application/x-wayline-node";

interface Props {
  draft: Draft;
  slotsOf: SlotsOf;
  overlay: Overlay;
  selected: readonly string[];
  onSelect: (ids: string[]) => void;
  onChange: (draft: Draft) => void;
  onDrop: (type: string, at: Point) => void;
}

/** The path inside `source` of the slot whose handle is `handle`. */
function slotPath(draft: Draft, slotsOf: SlotsOf, source: string, handle: string | null | undefined) {
  return slotsOf(nodesOf(definitionOf(draft))[source]).find((s) => s.key === handle)?.path ?? null;
}

function useSelection(selected: readonly string[], onSelect: (ids: string[]) => void) {
  const [edges, setEdges] = useState<ReadonlySet<string>>(new Set());
  const onNodes = (changes: NodeChange[]): void => {
    const picks = changes.filter((c) => c.type === "select");
    if (picks.length === 0) return;
    const now = new Set(selected);
    for (const c of picks) if (c.selected) now.add(c.id); else now.delete(c.id);
    onSelect([...now]);
  };
  const onEdges = (changes: EdgeChange[]): void => {
    const picks = changes.filter((c) => c.type === "select");
    if (picks.length === 0) return;
    setEdges((old) => {
      const now = new Set(old);
      for (const c of picks) if (c.selected) now.add(c.id); else now.delete(c.id);
      return now;
    });
  };
  return { selectedEdges: edges, onNodes, onEdges };
}

export function DesignCanvas({ draft, slotsOf, overlay, selected, onSelect, onChange, onDrop }: Props) {
  const flow = useReactFlow();
  const definition = definitionOf(draft);
  const [moving, setMoving] = useState<Positions>({});
  const { selectedEdges, onNodes, onEdges } = useSelection(selected, onSelect);
  const base = useMemo(() => designNodes(definition, draft.positions, slotsOf, overlay), [definition, draft.positions, slotsOf, overlay]);
  const chosen = useMemo(() => new Set(selected), [selected]);
  const nodes = useMemo(
    () => base.map((n) => ({ ...n, selected: chosen.has(n.id), position: moving[n.id] ?? n.position })),
    [base, chosen, moving],
  );
  const lines = useMemo(() => designEdges(definition, slotsOf, overlay.taken), [definition, slotsOf, overlay.taken]);
  const edges = useMemo(() => lines.map((e) => ({ ...e, selected: selectedEdges.has(e.id) })), [lines, selectedEdges]);

  const nodesChanged = (changes: NodeChange[]): void => {
    onNodes(changes);
    const at: Record<string, Point> = {};
    for (const c of changes) if (c.type === "position" && c.dragging && c.position) at[c.id] = c.position;
    if (Object.keys(at).length) setMoving((m) => ({ ...m, ...at }));
  };
  // The positions a drag ended at become the draft's (one undo step per drag).
  const dragStopped = (_: unknown, __: unknown, dragged: { id: string; position: Point }[]): void => {
    setMoving({});
    onChange(moveNodes(draft, Object.fromEntries(dragged.map((n) => [n.id, n.position]))));
  };
  const connected = (c: Connection): void => {
    const path = slotPath(draft, slotsOf, c.source, c.sourceHandle);
    if (path && c.target) onChange(connect(draft, c.source, path, c.target));
  };
  const reconnected = (old: Edge, c: Connection): void => {
    const was = slotPath(draft, slotsOf, old.source, old.sourceHandle);
    const now = slotPath(draft, slotsOf, c.source, c.sourceHandle);
    if (!was || !now || !c.target) return;
    const cleared = old.source === c.source && old.sourceHandle === c.sourceHandle ? draft : connect(draft, old.source, was, null);
    onChange(connect(cleared, c.source, now, c.target));
  };
  const deleted = ({ nodes: gone, edges: cut }: { nodes: { id: string }[]; edges: Edge[] }): void => {
    const ids = new Set(gone.map((n) => n.id));
    let next = ids.size ? removeNodes(draft, [...ids], slotsOf) : draft;
    for (const e of cut) {
      const path = ids.has(e.source) ? null : slotPath(next, slotsOf, e.source, e.sourceHandle);
      if (path) next = connect(next, e.source, path, null);
    }
    if (ids.size) onSelect(selected.filter((id) => !ids.has(id)));
    onChange(next);
  };
  const dropped = useCallback(
    (e: DragEvent): void => {
      const type = e.dataTransfer.getData(DRAG_TYPE);
      if (!type) return;
      e.preventDefault();
      onDrop(type, flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
    },
    [flow, onDrop],
  );
  return (
    <div
      className="canvas design-canvas"
      aria-label="Design canvas"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(DRAG_TYPE)) e.preventDefault();
      }}
      onDrop={dropped}
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={nodesChanged}
        onEdgesChange={onEdges}
        onNodeDragStop={dragStopped}
        onConnect={connected}
        onReconnect={reconnected}
        onDelete={deleted}
        deleteKeyCode={["Delete", "Backspace"]}
        multiSelectionKeyCode={["Shift", "Meta", "Control"]}
        edgesReconnectable
        nodesFocusable
        edgesFocusable
        fitView
        fitViewOptions={FIT}
        minZoom={0.2}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
