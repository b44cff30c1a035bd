// Bytes allocated per HTTP response by a running gateway, under whatever load it gets
// (the federation benchmark's, typically): a preload for the gateway process that runs
// V8's sampling heap profiler (collected objects included) over a window and divides
// by the responses finished in it. bench/federation/alloc.ts measures the engine alone
// on its fixtures; this measures the whole process on the real request.
//
//   NODE_OPTIONS="--import ./bench/federation/live-alloc.ts" bin/tma-gateway
//   BENCH_ALLOC_START_S (default 12), BENCH_ALLOC_SECONDS (8),
//   BENCH_ALLOC_OUT (a .heapprofile to write; summarize it with alloc-summary.ts)
// Prints one line to stderr: "live-alloc: N KB per response over M responses".
import dc from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const startAfterMs = Number(process.env['BENCH_ALLOC_START_S'] ?? 12) * 1000;
const windowMs = Number(process.env['BENCH_ALLOC_SECONDS'] ?? 8) * 1000;
const out = process.env['BENCH_ALLOC_OUT'];

interface ProfileNode {
  selfSize: number;
  children: ProfileNode[];
}

let sampling = false;
let responses = 0;
dc.subscribe('http.server.response.finish', () => {
  if (sampling) responses++;
});

const session = new Session();
session.connect();
setTimeout(async () => {
  // 4 KB sampling: fine enough for ~400 KB per response, cheap enough not to change the load much
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  sampling = true;
  setTimeout(async () => {
    sampling = false;
    const { profile } = await session.post('HeapProfiler.stopSampling');
    if (out) writeFileSync(out, JSON.stringify(profile));
    let bytes = 0;
    const walk = (node: ProfileNode): void => {
      bytes += node.selfSize;
      for (const child of node.children) walk(child);
    };
    walk(profile.head as unknown as ProfileNode);
    const perResponse = responses > 0 ? (bytes / responses / 1024).toFixed(1) : 'n/a';
    process.stderr.write(`live-alloc: ${perResponse} KB per response over ${responses} responses\n`);
  }, windowMs).unref();
}, startAfterMs).unref();
