import { describe, expect, it } from "vitest";

import { commandOf } from "./shortcuts";

const keys = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  ...mods,
});

describe("shortcuts", () => {
  it("maps Ctrl (or Cmd) with C, V, Z, Shift+Z and Y", () => {
    expect(commandOf(keys("c", { ctrlKey: true }))).toBe("copy");
    expect(commandOf(keys("v", { metaKey: true }))).toBe("paste");
    expect(commandOf(keys("z", { ctrlKey: true }))).toBe("undo");
    expect(commandOf(keys("Z", { ctrlKey: true, shiftKey: true }))).toBe("redo");
    expect(commandOf(keys("y", { ctrlKey: true }))).toBe("redo");
    expect(commandOf(keys("z"))).toBe(null);
    expect(commandOf(keys("a", { ctrlKey: true }))).toBe(null);
  });
});
