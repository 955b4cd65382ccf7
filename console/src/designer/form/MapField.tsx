// A map of names to values (update_profile's `set`, a call's `params`): one row per entry,
// the value's input labelled by its name; a name is renamed when its input is left, and a
// new entry is named first, then added.

import { useId, useState, type KeyboardEvent } from "react";

import { initialValue } from "./control";
import { FieldInput } from "./FieldInput";
import { described, type FieldProps } from "./fieldProps";
import { Problems } from "./Problems";
import { asObject, type FieldKind } from "./schema";

interface NameProps {
  label: string;
  initial: string;
  onCommit: (name: string) => void;
}

/** A name edited as text and committed on Enter or when left (not at every keystroke). */
function NameInput({ label, initial, onCommit }: NameProps) {
  const [text, setText] = useState(initial);
  const commit = () => onCommit(text.trim());
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") {
      e.preventDefault();
      commit();
    }
  };
  return <input aria-label={label} value={text} onChange={(e) => setText(e.target.value)} onBlur={commit} onKeyDown={onKeyDown} />;
}

/** The map with `from` renamed `to`, in the same place. */
export function renamed(map: Record<string, unknown>, from: string, to: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k === from ? to : k, v]));
}

export function MapField(props: FieldProps & { valueType: FieldKind }) {
  const { root, spec, path, value, onChange, problems, valueType } = props;
  const id = useId();
  const { mine, hintId, problemsId, describedBy } = described(id, props);
  const map = asObject(value) ?? {};
  const [fresh, setFresh] = useState(0); // remounts the new-name input once it is used
  const rename = (from: string, to: string) => {
    if (to && to !== from && !(to in map)) onChange(path, renamed(map, from, to));
  };
  const add = (name: string) => {
    if (name && !(name in map)) onChange([...path, name], initialValue(valueType));
    setFresh((n) => n + 1);
  };
  return (
    <fieldset className={`field-map${mine.length > 0 ? " invalid" : ""}`} aria-describedby={describedBy}>
      <legend>{spec.title}</legend>
      {hintId && (
        <small id={hintId} className="hint">
          {spec.description}
        </small>
      )}
      <Problems id={problemsId} problems={mine} />
      {Object.entries(map).map(([name, entry], i) => {
        const entrySpec = { ...spec, key: name, title: name, description: null, required: true, optional: false, type: valueType };
        return (
          <div className="map-entry" key={`${i}-${name}`}>
            <NameInput label={`${spec.title} ${i + 1} name`} initial={name} onCommit={(to) => rename(name, to)} />
            <FieldInput root={root} spec={entrySpec} path={[...path, name]} value={entry} onChange={onChange} problems={problems} />
            <button type="button" className="remove" onClick={() => onChange([...path, name], undefined)}>
              <span aria-hidden="true">Remove</span>
              <span className="visually-hidden">
                Remove {name} from {spec.title}
              </span>
            </button>
          </div>
        );
      })}
      <div className="map-new">
        <NewName key={fresh} label={`New ${spec.title} name`} title={spec.title} onAdd={add} />
      </div>
    </fieldset>
  );
}

function NewName({ label, title, onAdd }: { label: string; title: string; onAdd: (name: string) => void }) {
  const [text, setText] = useState("");
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") {
      e.preventDefault();
      onAdd(text.trim());
    }
  };
  return (
    <>
      <input aria-label={label} placeholder="name" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} />
      <button type="button" className="add" onClick={() => onAdd(text.trim())}>
        Add to {title}
      </button>
    </>
  );
}
