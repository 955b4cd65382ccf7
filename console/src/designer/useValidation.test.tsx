import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Validation } from "./checkApi";
import { useValidation } from "./useValidation";

describe("useValidation", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("checks the definition the component holds after the delay, the last one only", async () => {
    const sent: unknown[] = [];
    const send = (definition: unknown): Promise<Validation> => {
      sent.push(definition);
      return Promise.resolve({ valid: false, problems: [{ path: "nodes.a.next", message: "unknown node 'b'" }] });
    };
    const { result, rerender } = renderHook(({ d }) => useValidation(d, send, 400), { initialProps: { d: { v: 1 } as unknown } });
    await act(() => vi.advanceTimersByTimeAsync(200));
    rerender({ d: { v: 2 } });
    await act(() => vi.advanceTimersByTimeAsync(200));
    expect(sent).toEqual([]);
    expect(result.current.status).toBe("checking");
    await act(() => vi.advanceTimersByTimeAsync(200));
    expect(sent).toEqual([{ v: 2 }]);
    rerender({ d: { v: 2 } }); // the same content again: nothing to check
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(sent).toEqual([{ v: 2 }]);
    expect(result.current).toEqual({ status: "checked", problems: [{ path: "nodes.a.next", message: "unknown node 'b'" }], error: null });
  });
});
