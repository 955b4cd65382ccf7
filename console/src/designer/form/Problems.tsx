// The problems of one field, beside it (the validator's messages for exactly its path).

import type { DesignProblem } from "../types";

interface Props {
  id: string | undefined;
  problems: readonly DesignProblem[];
}

export function Problems({ id, problems }: Props) {
  if (problems.length === 0) return null;
  return (
    <ul id={id} className="field-problems">
      {problems.map((p, i) => (
        <li key={i}>{p.message}</li>
      ))}
    </ul>
  );
}
