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
import { definitionOf, draftText, type Draft } from "./draft";
import { expressionReader } from "./expressionFields";
import type { Overlay } from "./flow";
import { DraftProvider } from "./form/DraftProvider";
import { NodeForm } from "./form/NodeForm";
import { SettingsForm } from "./form/SettingsForm";
import { nodesOf } from "./graph";
import { openingDraft } from "./load";
import { Palette } from "./Palette";
import { ProblemsPanel } from "./ProblemsPanel";
import { PublishPanel } from "./PublishPanel";
import { save, saveMessage, type SaveResult } from "./save";
import { commandOf, inField } from "./shortcuts";
import { SidePanel } from "./SidePanel";
import { nodeTypes, slotReader, type JsonSchema } from "./slots";
import { TestPanel } from "./TestPanel";
import { Toolbar } from "./Toolbar";
import type { DesignProblem, TakenEdges } from "./types";
import { useDesigner, type DesignerState } from "./useDesigner";
import { useTestSession } from "./useTestSession";
import { useValidation } from "./useValidation";
import { problemsByNode } from "./validation";

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

interface Path {
  taken: TakenEdges | null;
  visited: ReadonlySet<string> | null;
}

const NO_PATH: Path = { taken: null, visited: null };

/** The properties pane of the one node selected, drawn from the schema. */
function NodePane({ state, schema, problems }: { state: DesignerState; schema: JsonSchema; problems: DesignProblem[] }) {
  const id = state.selected.length === 1 ? state.selected[0] : undefined;
  const definition = definitionOf(state.draft);
  const node = id === undefined ? undefined : nodesOf(definition)[id];
  if (id === undefined || node === undefined)
    return <p className="muted">Select one node to edit its properties; the journey's own are under Settings.</p>;
  return (
    <DraftProvider definition={definition}>
      <NodeForm
        key={id}
        schema={schema}
        nodeId={id}
        node={node}
        onChange={state.setValue}
        onRename={(to) => state.rename(id, to)}
        problems={problems}
      />
    </DraftProvider>
  );
}

/** Each node's problems, as the canvas marks them. */
function useOverlay(problems: DesignProblem[], path: Path): Overlay {
  return useMemo(() => {
    const byNode = problemsByNode(problems).nodes;
    const messages = new Map([...byNode].map(([id, list]) => [id, list.map((p) => `${p.path}: ${p.message}`)]));
    return { problems: messages, taken: path.taken, visited: path.visited };
  }, [problems, path]);
}

function Body({ id, opened }: { id: string; opened: Opened }) {
  const slotsOf = useMemo(() => slotReader(opened.schema), [opened.schema]);
  const types = useMemo(() => nodeTypes(opened.schema), [opened.schema]);
  const expressionsOf = useMemo(() => expressionReader(opened.schema), [opened.schema]);
  const state = useDesigner(opened.draft, slotsOf, expressionsOf);
  const [saved, setSaved] = useState(() => draftText(opened.draft, "yaml"));
  const [savedAt, setSavedAt] = useState(() => JSON.stringify(opened.draft.positions));
  const [saving, setSaving] = useState(false);
  const [status, setStatus] = useState<string>(`Opened ${opened.from}.`);
  const [tab, setTab] = useState("node");
  const [path, setPath] = useState<Path>({ taken: null, visited: null });
  // The test's form and last result outlive the Test panel (a tab switch unmounts it).
  const test = useTestSession(id, (taken, visited) => setPath({ taken, visited: taken ? visited : null }));
  const definition = definitionOf(state.draft);
  const check = useValidation(definition);
  const problems = check.problems;
  // A test run's path is drawn while the Test panel is open: edits elsewhere would leave it stale.
  const overlay = useOverlay(problems, tab === "test" ? path : NO_PATH);
  useShortcuts(state);
  const dirty = draftText(state.draft, "yaml") !== saved || JSON.stringify(state.draft.positions) !== savedAt;
  const doSave = async (): Promise<SaveResult | null> => {
    setSaving(true);
    try {
      const result = await save(id, state.draft);
      setSaved(draftText(state.draft, "yaml"));
      setSavedAt(JSON.stringify(state.draft.positions));
      setStatus(saveMessage(result));
      return result;
    } catch (e) {
      setStatus(`Not saved: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    } finally {
      setSaving(false);
    }
  };
  /** For the publish panel: the draft saved, or why not. */
  const saveDraft = async (): Promise<void> => {
    const result = await doSave();
    if (!result?.draftSaved) throw new Error("the draft was not saved: fix the problems first");
  };
  const goTo = (nodeId: string | null): void => {
    if (nodeId !== null) state.setSelected([nodeId]);
    setTab(nodeId === null ? "settings" : "node");
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
    { id: "node", label: "Node", body: <NodePane state={state} schema={opened.schema} problems={problems} /> },
    {
      id: "settings",
      label: "Settings",
      body: <SettingsForm schema={opened.schema} definition={definition} onChange={state.setValue} problems={problems} />,
    },
    {
      id: "problems",
      label: `Problems (${problems.length})`,
      body: <ProblemsPanel problems={problems} onSelect={goTo} checking={check.status === "checking"} error={check.error} />,
    },
    {
      id: "test",
      label: "Test",
      body: <TestPanel session={test} definition={definition} />,
    },
    {
      id: "publish",
      label: "Publish",
      // Its diff graph is a React Flow of its own: under the designer's provider it would
      // share (and replace) the canvas's nodes.
      body: (
        <ReactFlowProvider>
          <PublishPanel journeyId={id} definition={definition} problems={problems} onSaved={saveDraft} />
        </ReactFlowProvider>
      ),
    },
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
        {status} {problems.length > 0 && `${problems.length} problem${problems.length === 1 ? "" : "s"} to fix before publishing.`}
      </p>
      <div className="journey-body designer-body">
        <Palette types={types} onAdd={(type) => state.add(type)} />
        <DesignCanvas
          draft={state.draft}
          slotsOf={slotsOf}
          overlay={overlay}
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
