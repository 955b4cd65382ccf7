// The signed-in key, for the pages that hide what it may not do.

import { createContext, useContext } from "react";

import type { Me } from "../api/types";

export const WhoContext = createContext<Me | null>(null);

/** Whether the signed-in key grants `scope` (the API still checks every call). */
export function useCan(scope: string): boolean {
  return useContext(WhoContext)?.grants.includes(scope) ?? false;
}
