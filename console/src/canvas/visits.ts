// The drawn profile path, read by each node; null when the canvas shows live counts.

import { createContext, useContext } from "react";

import type { PathOverlay } from "./path";

export const PathContext = createContext<PathOverlay | null>(null);

export const usePath = (): PathOverlay | null => useContext(PathContext);
