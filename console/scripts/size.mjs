// Prints the gzipped size of the JavaScript the first page loads (the scripts and
// module preloads that dist/index.html names) and fails past the budget.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KB = 400;
const dist = new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const base = "/console/";
const files = [...html.matchAll(/(?:src|href)="([^"]+\.js)"/g)].map((m) => m[1]);
let total = 0;
for (const file of files) {
  const path = join(dist, file.startsWith(base) ? file.slice(base.length) : file);
  total += gzipSync(readFileSync(path)).length;
}
const kb = total / 1000;
console.log(`console: first page JavaScript ${kb.toFixed(1)} kB gzipped (${files.length} files, budget ${BUDGET_KB} kB)`);
if (kb >= BUDGET_KB) {
  console.error("console: over the JavaScript budget");
  process.exit(1);
}
