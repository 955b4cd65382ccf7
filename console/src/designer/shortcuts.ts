// The designer's keyboard shortcuts, outside text fields (where the keys keep their meaning).

export type Command = "copy" | "paste" | "undo" | "redo";

interface Keys {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

export function commandOf(e: Keys): Command | null {
  if (!(e.ctrlKey || e.metaKey)) return null;
  const key = e.key.toLowerCase();
  if (key === "c") return "copy";
  if (key === "v") return "paste";
  if (key === "z") return e.shiftKey ? "redo" : "undo";
  if (key === "y") return "redo";
  return null;
}

/** Keys typed into a field are the field's: Ctrl+Z there undoes the typing. */
export function inField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}
