// console/src/designer/types.ts
/** A path into the journey definition document, e.g. ["nodes", "big_cart", "branches", 0, "when"]. */
export type DocPath = (string | number)[];
/** A problem from POST /v1/journeys/validate: path like "nodes.big_cart.branches[0].when". */
export interface DesignProblem { path: string; message: string; }
/** Change one value of the definition (undefined deletes the key). Comments elsewhere survive. */
export type SetValue = (path: DocPath, value: unknown) => void;
/** Edges the test run went along, as "source->target" keys (see canvas/path.ts edgeKey). */
export type TakenEdges = ReadonlySet<string>;
