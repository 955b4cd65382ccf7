// Who the test runs for: a real profile found by id, alias, email or phone (its contacts,
// timezone and attributes are used as they are), or one invented for the test.

import { useState, type FormEvent } from "react";

import { findProfiles } from "../api/endpoints";
import type { ProfileMatch } from "../api/types";
import { TestField } from "./TestField";
import { realProfile, type FormErrors, type TestForm } from "./testRun";

interface Props {
  form: TestForm;
  errors: FormErrors;
  onChange: (change: Partial<TestForm>) => void;
}

function FieldError({ error, id }: { error: string | undefined; id: string }) {
  return error ? <span id={id} className="field-error" role="alert">{error}</span> : null;
}

function RealSearch({ form, errors, onChange }: Props) {
  const [text, setText] = useState("");
  const [found, setFound] = useState<ProfileMatch[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const search = (e: FormEvent): void => {
    e.preventDefault();
    setFailed(null);
    findProfiles(text.trim()).then(
      (page) => setFound(page.items),
      (err: unknown) => setFailed(err instanceof Error ? err.message : String(err)),
    );
  };
  return (
    <div role="search">
      <form onSubmit={search} className="test-search">
        <label>
          Find a profile
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="id, alias, email or phone" />
        </label>
        <button type="submit" disabled={!text.trim()}>Search</button>
      </form>
      {failed && <p className="field-error" role="alert">Could not search: {failed}</p>}
      {found && found.length === 0 && <p className="muted">No profile matches “{text}”.</p>}
      {found && found.length > 0 && (
        <ul className="plain" aria-label="Profiles found">
          {found.map((p) => (
            <li key={p.profile_id}>
              <button type="button" onClick={() => onChange({ real: realProfile(p) })} aria-pressed={form.real?.profile_id === p.profile_id}>
                Use {p.profile_id}
              </button>{" "}
              <span className="sub">{[p.email, p.phone].filter(Boolean).join(" · ")}</span>
            </li>
          ))}
        </ul>
      )}
      {form.real ? (
        <p>Testing as <code>{form.real.profile_id}</code> <span className="sub">{Object.keys(form.real.attributes).length} attributes</span></p>
      ) : (
        <FieldError id="test-profile-error" error={errors.profile} />
      )}
    </div>
  );
}

function Invented({ form, errors, onChange }: Props) {
  return (
    <>
      <TestField label="Profile id" value={form.inventedId} error={errors.profile_id} onChange={(v) => onChange({ inventedId: v })} />
      <TestField label="Attributes (JSON)" multiline value={form.inventedAttributes} error={errors.attributes} onChange={(v) => onChange({ inventedAttributes: v })} />
    </>
  );
}

export function TestProfilePicker(props: Props) {
  const { form, onChange } = props;
  return (
    <fieldset>
      <legend>Profile</legend>
      <div role="radiogroup" aria-label="Profile kind">
        <label className="inline">
          <input type="radio" name="test-profile-kind" checked={form.mode === "real"} onChange={() => onChange({ mode: "real" })} /> Real profile
        </label>
        <label className="inline">
          <input type="radio" name="test-profile-kind" checked={form.mode === "invented"} onChange={() => onChange({ mode: "invented" })} /> Invented profile
        </label>
      </div>
      {form.mode === "real" ? <RealSearch {...props} /> : <Invented {...props} />}
    </fieldset>
  );
}
