// The designer's page (/console/journeys/{id}/design): loads the schema, the stored draft and
// the saved design, then edits the draft on the canvas and in the code view, and saves.

import { ReactFlowProvider } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState } from "react";

import { journeyHref } from "../app/route";
import { Link } from "../app/Link";
import { usePoll } from "../app/usePoll";
import { journeySchema, storedDesign, storedJourney } from "./api";
import { CodeView } from "./CodeView";
import { DesignCanvas } from "./DesignCanvas";
import { draftText, type Draft } from "./draft";
import { NO_OVERLAY } from "./flow";
import { openingDraft } from "./load";
import { Palette } from "./Palette";
import { save, saveMessage } from "./save";
import { commandOf, inField } from "./shortcuts";
import { SidePanel } from "./SidePanel";
import { nodeTypes, slotReader, type JsonSchema } from "./slots";
import { Toolbar } from "./Toolbar";
import type { DesignProblem } from "./types";
import { useDesigner, type DesignerState } from "./useDesigner";

interface Opened {
  schema: JsonSchema;
  draft: Draft;
  from: string;
}

async function open(id: string): Promise<Opened> {
  const [schema, stored, design] = await Promise.all([journeySchema(), storedJourney(id), storedDesign(id)]);
  return { schema, ...openingDraft(id, stored?.draft ?? null, design) };
}

/** Ctrl+C, Ctrl+V, Ctrl+Z, Ctrl+Shift+Z anywhere on the page but in a text field. */
function useShortcuts(state: DesignerState): void {
  useEffect(() => {
    const keydown = (e: KeyboardEvent): void => {
      const command = commandOf(e);
      if (!command || inField(e.target)) return;
      if (command === "copy" && (state.selected.length === 0 || String(window.getSelection() ?? ""))) return;
      if (command === "paste" && !state.clip) return;
      e.preventDefault();
      state[command]();
    };
    window.addEventListener("keydown", keydown);
    return () => window.removeEventListener("keydown", keydown);
  });
}

function NodeSummary({ state }: { state: DesignerState }) {
  const id = state.selected.length === 1 ? state.selected[0] : undefined;
  if (!id) return <p className="muted">Select a node to see its properties.</p>;
  return (
    <p>
      Node <code>{id}</code>: edit it in the code view.
    </p>
  );
}

function Body({ id, opened }: { id: string; opened: Opened }) {
  const slotsOf = useMemo(() => slotReader(opened.schema), [opened.schema]);
  const types = useMemo(() => nodeTypes(opened.schema), [opened.schema]);
  const state = useDesigner(opened.draft, slotsOf);
  const [saved, setSaved] = useState(() => draftText(opened.draft, "yaml"));
  const [savedAt, setSavedAt] = useState(() => JSON.stringify(opened.draft.positions));
  const [saving, setSaving] = useState(false);
  const [status, setStatus] = useState<string>(`Opened ${opened.from}.`);
  const [problems, setProblems] = useState<DesignProblem[]>([]);
  const [tab, setTab] = useState("node");
  useShortcuts(state);
  const dirty = draftText(state.draft, "yaml") !== saved || JSON.stringify(state.draft.positions) !== savedAt;
  const doSave = async (): Promise<void> => {
    setSaving(true);
    try {
      const result = await save(id, state.draft);
      setSaved(draftText(state.draft, "yaml"));
      setSavedAt(JSON.stringify(state.draft.positions));
      setProblems(result.problems);
      setStatus(saveMessage(result));
    } catch (e) {
      setStatus(`Not saved: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setSaving(false);
    }
  };
  const select = useCallback(
    (ids: string[]) => {
      state.setSelected(ids);
      if (ids.length === 1) setTab("node");
    },
    [state],
  );
  const run = (command: "undo" | "redo" | "copy" | "paste" | "delete" | "arrange" | "start" | "save"): void => {
    if (command === "save") void doSave();
    else if (command === "delete") state.remove();
    else if (command === "start") state.makeStart();
    else state[command]();
  };
  const tabs = [
    { id: "node", label: "Node", body: <NodeSummary state={state} /> },
    { id: "code", label: "Code", body: <CodeView draft={state.draft} onChange={(d) => state.commit(d, "code")} /> },
  ];
  return (
    <>
      <div className="journey-head">
        <h1>
          Design <small>{id}</small>
        </h1>
        <Link href={journeyHref(id)}>Back to the journey</Link>
        <Toolbar
          selected={state.selected.length}
          canUndo={state.canUndo}
          canRedo={state.canRedo}
          canPaste={state.clip !== null}
          canStart={state.selected.length === 1}
          dirty={dirty}
          saving={saving}
          run={run}
        />
      </div>
      <p className="designer-status" role="status">
        {status} {problems.length > 0 && `${problems.length} problem${problems.length === 1 ? "" : "s"}.`}
      </p>
      <div className="journey-body designer-body">
        <Palette types={types} onAdd={(type) => state.add(type)} />
        <DesignCanvas
          draft={state.draft}
          slotsOf={slotsOf}
          overlay={NO_OVERLAY}
          selected={state.selected}
          onSelect={select}
          onChange={(d) => state.commit(d)}
          onDrop={(type, at) => state.add(type, at)}
        />
        <SidePanel tabs={tabs} current={tab} onTab={setTab} />
      </div>
    </>
  );
}

export function Designer({ id }: { id: string }) {
  const load = useCallback(() => open(id), [id]);
  const { value, error } = usePoll(load, null);
  return (
    <main className="page designer-page">
      {error && <p role="alert">{error}</p>}
      {!value && !error && <p className="loading">Loading the designer…</p>}
      {value && (
        <ReactFlowProvider>
          <Body id={id} opened={value} />
        </ReactFlowProvider>
      )}
    </main>
  );
}
