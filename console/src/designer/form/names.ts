// What expressions may name (GET /v1/schemas/expressions.json): the context roots and their
// fields, the helpers, filters and tests, each with a one-line doc. Read from the server's
// sandbox, so completion offers exactly what compiles.

import { request } from "../../api/client";

export interface ExpressionName {
  name: string;
  doc: string;
  signature: string | null;
}

export interface ExpressionRoot {
  name: string;
  doc: string;
  fields: string[];
}

export interface ExpressionNames {
  roots: ExpressionRoot[];
  helpers: ExpressionName[];
  filters: ExpressionName[];
  tests: ExpressionName[];
}

export const NO_NAMES: ExpressionNames = { roots: [], helpers: [], filters: [], tests: [] };

let pending: Promise<ExpressionNames> | null = null;

/** The names, fetched once per page load (again after a failure). */
export function loadExpressionNames(): Promise<ExpressionNames> {
  if (!pending) {
    pending = request<ExpressionNames>("/v1/schemas/expressions.json");
    pending.catch(() => {
      pending = null;
    });
  }
  return pending;
}
