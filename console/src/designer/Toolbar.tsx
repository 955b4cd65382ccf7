// The designer's commands as buttons (each names its shortcut).

interface Props {
  selected: number;
  canUndo: boolean;
  canRedo: boolean;
  canPaste: boolean;
  canStart: boolean;
  dirty: boolean;
  saving: boolean;
  run: (command: "undo" | "redo" | "copy" | "paste" | "delete" | "arrange" | "start" | "save") => void;
}

export function Toolbar({ selected, canUndo, canRedo, canPaste, canStart, dirty, saving, run }: Props) {
  return (
    <div className="designer-toolbar" role="toolbar" aria-label="Designer">
      <button type="button" onClick={() => run("undo")} disabled={!canUndo} title="Ctrl+Z">Undo</button>
      <button type="button" onClick={() => run("redo")} disabled={!canRedo} title="Ctrl+Shift+Z">Redo</button>
      <button type="button" onClick={() => run("copy")} disabled={selected === 0} title="Ctrl+C">Copy</button>
      <button type="button" onClick={() => run("paste")} disabled={!canPaste} title="Ctrl+V">Paste</button>
      <button type="button" onClick={() => run("delete")} disabled={selected === 0} title="Delete">Delete</button>
      <button type="button" onClick={() => run("start")} disabled={!canStart}>Set as start</button>
      <button type="button" onClick={() => run("arrange")}>Arrange</button>
      <button type="button" className="primary" onClick={() => run("save")} disabled={saving}>
        {saving ? "Saving…" : dirty ? "Save" : "Saved"}
      </button>
    </div>
  );
}
