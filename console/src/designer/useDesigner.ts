// The designer's state: the history of drafts, the selection and the clipboard, and every
// command on them (each a new draft pushed as one undo step).

import { useReactFlow } from "@xyflow/react";
import { useState } from "react";

import {
  addNode,
  connect,
  copyNodes,
  definitionOf,
  freeSpot,
  layoutDraft,
  pasteNodes,
  placeMissing,
  removeNodes,
  setIn,
  setStart,
  type Clipboard,
  type Draft,
  type Point,
} from "./draft";
import { FIT } from "./DesignCanvas";
import type { ExpressionsOf } from "./expressionFields";
import { designNodeHeight } from "./flow";
import { nodesOf } from "./graph";
import { canRedo, canUndo, initial, push, redo, undo, type History } from "./history";
import { renameNode } from "./rename";
import type { SlotsOf } from "./slots";
import type { DocPath } from "./types";

function canvasCenter(toFlow: (p: Point) => Point): Point {
  const box = document.querySelector(".design-canvas")?.getBoundingClientRect();
  if (!box) return { x: 0, y: 0 };
  const at = toFlow({ x: box.left + box.width / 2, y: box.top + box.height / 3 });
  return { x: at.x - 120, y: at.y };
}

export function useDesigner(start: Draft, slotsOf: SlotsOf, expressionsOf: ExpressionsOf) {
  const flow = useReactFlow();
  const [history, setHistory] = useState<History<Draft>>(() => initial(placeMissing(start, slotsOf)));
  const [selected, setSelected] = useState<string[]>([]);
  const [clip, setClip] = useState<Clipboard | null>(null);
  const draft = history.present;
  const commit = (next: Draft, group: string | null = null): void =>
    setHistory((h) => push(h, placeMissing(next, slotsOf), group));
  /** After the next render (the new nodes measured), every node in view. */
  const fit = (): void => void window.setTimeout(() => void flow.fitView({ ...FIT, duration: 200 }), 50);

  /** Add a node: below the one selected (its first free slot leading to it), else mid-canvas. */
  const add = (type: string, at?: Point): void => {
    const from = selected.length === 1 ? selected[0] : undefined;
    const fromAt = from ? draft.positions[from] : undefined;
    const place = at ?? (fromAt ? { x: fromAt.x, y: fromAt.y + designNodeHeight(2) + 60 } : canvasCenter(flow.screenToFlowPosition));
    const made = addNode(draft, type, at ?? freeSpot(draft.positions, place));
    let next = made.draft;
    const free = from && !at ? slotsOf(nodesOf(definitionOf(draft))[from]).find((s) => s.target === null) : undefined;
    if (from && free) next = connect(next, from, free.path, made.id);
    commit(next);
    setSelected([made.id]);
    if (!at) fit();
  };
  const paste = (): void => {
    if (!clip) return;
    const { draft: next, ids } = pasteNodes(draft, clip, slotsOf);
    commit(next);
    setSelected(ids);
    fit();
  };
  const remove = (): void => {
    commit(removeNodes(draft, selected, slotsOf));
    setSelected([]);
  };
  const arrange = (): void => {
    commit(layoutDraft(draft, slotsOf));
    fit();
  };
  /** Rename node `from` and every reference to it (one step), the selection following;
   * answers why `to` was refused, or null. */
  const rename = (from: string, to: string): string | null => {
    const result = renameNode(draft, from, to, { slotsOf, expressionsOf });
    if (!result.draft) return result.error;
    commit(result.draft);
    setSelected((ids) => ids.map((id) => (id === from ? to : id)));
    return null;
  };
  const setValue = (path: DocPath, value: unknown): void => commit(setIn(draft, path, value), `set:${path.join(".")}`);
  return {
    draft,
    history,
    selected,
    setSelected,
    clip,
    commit,
    add,
    copy: () => selected.length > 0 && setClip(copyNodes(draft, selected)),
    paste,
    remove,
    arrange,
    rename,
    setValue,
    makeStart: () => selected.length === 1 && selected[0] !== undefined && commit(setStart(draft, selected[0])),
    undo: () => setHistory(undo),
    redo: () => setHistory(redo),
    canUndo: canUndo(history),
    canRedo: canRedo(history),
  };
}

export type DesignerState = ReturnType<typeof useDesigner>;
