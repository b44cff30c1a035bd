// Markdown summary of a gateway-bench results JSON (bench/federation/run.sh).
//   node bench/federation/report.ts bench/results/federation-<date>.json
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface Summary {
  target: string;
  runsOk: number;
  runsTotal: number;
  rpsMedian: number | null;
  rpsAll: number[];
  p50Median: number | null;
  p95Median: number | null;
  p99Median: number | null;
  errorsTotal: number;
  non2xxTotal: number;
  mismatchesTotal: number;
  peakRssMbMax: number | null;
  peakProcHwmMbMax: number | null;
  gatewayCpuPctMedian: number | null;
  busyPctMedian: { cpu0: number | null; cpu1: number | null };
  subgraphRequestsPerOpMedian: number | null;
  correct: boolean;
}
const file = process.argv[2];
if (!file) throw new Error('usage: report.ts results.json');
const { meta, summary } = JSON.parse(readFileSync(file, 'utf8')) as { meta: Record<string, any>; summary: Summary[] };
const base = summary.find((s) => s.target === 'apollo-gateway');
const lines: string[] = [];
lines.push(`# Federation benchmark — ${meta['date']}`, '');
lines.push(
  `Machine: ${meta['cpus']} vCPU ${meta['cpuModel']}, ${meta['memGiB']} GiB, Linux ${meta['kernel']}; harness node ${meta['node']}; ` +
    `private netns: ${meta['netns']}. Settings: ${meta['settings'].connections} connections, ` +
    `${meta['settings'].warmup}s warm-up + ${meta['settings'].duration}s measured, ${meta['settings'].runs} interleaved run(s), ` +
    `unique authorization header: ${!!meta['settings'].uniqueHeader}, gateway pinned to CPU ${meta['settings'].gatewayCpus}.`,
  '',
);
lines.push(
  '| target | runs | RPS median (each) | p50 ms | p95 ms | p99 ms | peak RSS MB | err/non2xx/bad | gw CPU% | busy% c0/c1 | sg req/op | correct | vs apollo |',
);
lines.push('|---|---|---:|---:|---:|---:|---:|---|---:|---|---:|---|---:|');
for (const s of summary) {
  const ratio = base?.rpsMedian && s.rpsMedian ? (s.rpsMedian / base.rpsMedian).toFixed(2) + 'x' : '-';
  lines.push(
    `| ${s.target} | ${s.runsOk}/${s.runsTotal} | ${s.rpsMedian} (${s.rpsAll.map((x) => Math.round(x)).join('/')}) | ${s.p50Median} | ${s.p95Median} | ${s.p99Median} | ${s.peakRssMbMax} | ${s.errorsTotal}/${s.non2xxTotal}/${s.mismatchesTotal} | ${s.gatewayCpuPctMedian} | ${s.busyPctMedian.cpu0}/${s.busyPctMedian.cpu1} | ${s.subgraphRequestsPerOpMedian} | ${s.correct ? 'yes' : 'NO'} | ${ratio} |`,
  );
}
lines.push('', `Raw: ${basename(file)}. Versions: ${JSON.stringify(meta['versions'])}`);
console.log(lines.join('\n'));
