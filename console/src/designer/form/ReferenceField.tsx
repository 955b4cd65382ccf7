// A field naming something else: a node of the draft (a select of its node ids), or a
// template, action, data source, audience, journey, decision or event (text with the API's
// list, or the draft's event names, as suggestions: what is not published yet may be named).

import { useEffect, useState } from "react";

import { textFrom, toText, type ControlProps } from "./control";
import { useFormEnv } from "./env";
import type { PickerOption } from "./pickers";

interface Props extends ControlProps {
  /** The `x-wayline-ref` of the field: "node", "template", "action", … */
  refKind: string;
}

function useOptions(kind: string): PickerOption[] {
  const env = useFormEnv();
  const [loaded, setLoaded] = useState<PickerOption[]>([]);
  useEffect(() => {
    let live = true;
    env.options(kind).then(
      (options) => live && setLoaded(options),
      () => live && setLoaded([]),
    );
    return () => {
      live = false;
    };
  }, [env, kind]);
  if (kind !== "event") return loaded;
  const known = new Set(loaded.map((o) => o.value));
  return [...loaded, ...env.eventNames.filter((n) => !known.has(n)).map((n) => ({ value: n, label: n }))];
}

function NodeSelect(p: ControlProps) {
  const { nodeIds } = useFormEnv();
  const value = toText(p.value);
  const ids = value && !nodeIds.includes(value) ? [...nodeIds, value] : nodeIds;
  return (
    <select
      id={p.id}
      required={p.required}
      aria-invalid={p.invalid || undefined}
      aria-describedby={p.describedBy}
      value={value}
      onChange={(e) => p.onValue(textFrom(e.target.value))}
    >
      <option value="">—</option>
      {ids.map((id) => (
        <option key={id} value={id}>
          {nodeIds.includes(id) ? id : `${id} (no such node)`}
        </option>
      ))}
    </select>
  );
}

function Picker({ refKind, ...p }: Props) {
  const options = useOptions(refKind);
  const listId = `${p.id}-options`;
  return (
    <>
      <input
        id={p.id}
        list={listId}
        required={p.required}
        aria-invalid={p.invalid || undefined}
        aria-describedby={p.describedBy}
        value={toText(p.value)}
        placeholder={p.placeholder ?? (options.length > 0 ? `choose a ${refKind.replace("_", " ")}` : undefined)}
        onChange={(e) => p.onValue(textFrom(e.target.value))}
      />
      <datalist id={listId}>
        {options.map((o) => (
          <option key={o.value} value={o.value} label={o.label} />
        ))}
      </datalist>
    </>
  );
}

export function ReferenceField(props: Props) {
  return props.refKind === "node" ? <NodeSelect {...props} /> : <Picker {...props} />;
}
