// Every node type of the schema: dragged onto the canvas, or added from the "Add node" menu
// (a keyboard-driven list: arrows move, Enter adds, Escape closes).

import { useRef, useState, type DragEvent, type KeyboardEvent } from "react";

import { DRAG_TYPE } from "./DesignCanvas";

interface Props {
  types: readonly string[];
  onAdd: (type: string) => void;
}

const label = (type: string): string => type.replace(/_/g, " ");

function AddMenu({ types, onAdd }: Props) {
  const [open, setOpen] = useState(false);
  const items = useRef<(HTMLButtonElement | null)[]>([]);
  const focus = (i: number): void => items.current[(i + types.length) % types.length]?.focus();
  const keys = (e: KeyboardEvent, i: number): void => {
    if (e.key === "ArrowDown") focus(i + 1);
    else if (e.key === "ArrowUp") focus(i - 1);
    else if (e.key === "Escape") setOpen(false);
    else return;
    e.preventDefault();
  };
  return (
    <div className="add-menu">
      <button type="button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        Add node
      </button>
      {open && (
        <div role="menu" aria-label="Node types">
          {types.map((type, i) => (
            <button
              key={type}
              type="button"
              role="menuitem"
              ref={(el) => {
                items.current[i] = el;
              }}
              autoFocus={i === 0}
              onKeyDown={(e) => keys(e, i)}
              onClick={() => {
                setOpen(false);
                onAdd(type);
              }}
            >
              {label(type)}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

export function Palette({ types, onAdd }: Props) {
  const start = (e: DragEvent, type: string): void => {
    e.dataTransfer.setData(DRAG_TYPE, type);
    e.dataTransfer.effectAllowed = "copy";
  };
  return (
    <aside className="palette" aria-label="Palette">
      <AddMenu types={types} onAdd={onAdd} />
      <p className="sub">Drag onto the canvas:</p>
      <ul>
        {types.map((type) => (
          <li key={type} className={`palette-item type-${type}`} draggable onDragStart={(e) => start(e, type)} data-type={type}>
            {label(type)}
          </li>
        ))}
      </ul>
    </aside>
  );
}
