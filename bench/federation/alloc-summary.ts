// Summarize a sampled heap (allocation) profile: bytes by allocating function (self).
//   node bench/federation/alloc-summary.ts file.heapprofile [topN]
import { readFileSync } from 'node:fs';

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}
const file = process.argv[2];
if (!file) throw new Error('usage: alloc-summary.ts file [topN]');
const top = Number(process.argv[3] ?? 30);
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: Node };
const byFn = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
const walk = (n: Node) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const f = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(packages|gateway|lib)\//, '$1/');
  const key = `${functionName || '(anon)'} ${f}:${lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + n.selfSize);
  const g = (f.match(/^((?:@[^/]+\/)?[^/]+)/)?.[1] ?? f) || '(native)';
  const gk = f.startsWith('packages/engine/') ? f : g;
  byFile.set(gk, (byFile.get(gk) ?? 0) + n.selfSize);
  total += n.selfSize;
  for (const c of n.children) walk(c);
};
walk(head);
const pct = (t: number) => ((100 * t) / total).toFixed(1).padStart(5) + '%';
console.log(`total sampled ${(total / 1048576).toFixed(1)} MB`);
console.log('\n== by file ==');
for (const [k, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(v), k);
console.log('\n== by function ==');
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(v), k);
