import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Validation } from "./checkApi";
import { createChecker, type CheckState } from "./checker";

interface Call {
  definition: unknown;
  signal: AbortSignal;
  answer: (v: Validation) => void;
  fail: (e: Error) => void;
}

function fakeApi() {
  const calls: Call[] = [];
  const send = (definition: unknown, signal: AbortSignal): Promise<Validation> =>
    new Promise((answer, fail) => calls.push({ definition, signal, answer, fail }));
  return { calls, send };
}

function nth(calls: Call[], i: number): Call {
  const call = calls[i];
  if (!call) throw new Error(`no call ${i}`);
  return call;
}

const problem = (path: string) => ({ path, message: `wrong at ${path}` });
const flush = () => vi.advanceTimersByTimeAsync(0);

describe("createChecker", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends only the last definition of a burst of changes, once the delay has passed", async () => {
    const { calls, send } = fakeApi();
    const states: CheckState[] = [];
    const checker = createChecker(send, (s) => states.push(s), 400);
    checker.update({ v: 1 });
    await vi.advanceTimersByTimeAsync(300);
    checker.update({ v: 2 });
    await vi.advanceTimersByTimeAsync(300);
    checker.update({ v: 3 });
    await vi.advanceTimersByTimeAsync(399);
    expect(calls).toHaveLength(0);
    expect(states.at(-1)?.status).toBe("checking");
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.definition)).toEqual([{ v: 3 }]);
    nth(calls, 0).answer({ valid: false, problems: [problem("nodes.a.next")] });
    await flush();
    expect(states.at(-1)).toEqual({ status: "checked", problems: [problem("nodes.a.next")], error: null });
  });

  it("drops the answer to an older definition, even when it comes last", async () => {
    const { calls, send } = fakeApi();
    const states: CheckState[] = [];
    const checker = createChecker(send, (s) => states.push(s), 400);
    checker.update({ v: 1 });
    await vi.advanceTimersByTimeAsync(400);
    checker.update({ v: 2 });
    await vi.advanceTimersByTimeAsync(400);
    expect(calls.map((c) => c.definition)).toEqual([{ v: 1 }, { v: 2 }]);
    expect(nth(calls, 0).signal.aborted).toBe(true);
    nth(calls, 1).answer({ valid: true, problems: [] });
    await flush();
    nth(calls, 0).answer({ valid: false, problems: [problem("start")] });
    await flush();
    expect(states.at(-1)).toEqual({ status: "checked", problems: [], error: null });
    expect(states.some((s) => s.problems.length > 0)).toBe(false);
  });

  it("drops an answer that arrives after a newer change, before that change is sent", async () => {
    const { calls, send } = fakeApi();
    const states: CheckState[] = [];
    const checker = createChecker(send, (s) => states.push(s), 400);
    checker.update({ v: 1 });
    await vi.advanceTimersByTimeAsync(400);
    checker.update({ v: 2 });
    nth(calls, 0).answer({ valid: false, problems: [problem("start")] });
    await flush();
    expect(states.map((s) => s.status)).toEqual(["checking", "checking"]);
  });

  it("surfaces a failed check and keeps the last problems known", async () => {
    const { calls, send } = fakeApi();
    const states: CheckState[] = [];
    const checker = createChecker(send, (s) => states.push(s), 400);
    checker.update({ v: 1 });
    await vi.advanceTimersByTimeAsync(400);
    nth(calls, 0).answer({ valid: false, problems: [problem("entry.when")] });
    await flush();
    checker.update({ v: 2 });
    await vi.advanceTimersByTimeAsync(400);
    nth(calls, 1).fail(new Error("503 Service Unavailable"));
    await flush();
    expect(states.at(-1)).toEqual({ status: "failed", problems: [problem("entry.when")], error: "503 Service Unavailable" });
  });

  it("sends nothing for no definition, nor after being disposed", async () => {
    const { calls, send } = fakeApi();
    const states: CheckState[] = [];
    const checker = createChecker(send, (s) => states.push(s), 400);
    checker.update(null);
    checker.update({ v: 1 });
    checker.dispose();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(0);
    expect(states[0]).toEqual({ status: "idle", problems: [], error: null });
  });
});
