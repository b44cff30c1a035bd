/**
 * `npm run dev [-- --base-port N]`: the local stack (as `npm start`) that
 * follows your edits:
 * - a subgraph's schema.graphql → recompose (+ codegen), restart that subgraph,
 *   then the gateway (the supergraph changed); a composition error is printed
 *   and everything keeps running on the previous supergraph;
 * - a subgraph's sources → restart that subgraph only (subgraphs/shared: all four);
 * - gateway/ → restart the gateway; lib/ → every process;
 * - schema/operations/*.graphql → codegen only (the typed client, the manifest).
 * Generated files are not watched, so regenerating never loops.
 */
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { relative, sep } from 'node:path';
import { ROOT, SUBGRAPH_PORTS, busyPorts, stackPorts, startStack, type Stack, type SubgraphName } from './lib/stack.ts';
import { basePortFromArgs, refuseBusyPorts, superviseStack } from './lib/cli.ts';

const SUBGRAPHS = Object.keys(SUBGRAPH_PORTS) as SubgraphName[];
const DEBOUNCE_MS = 300;

const say = (message: string) => console.log(`\x1b[1mdev      │ ${message}\x1b[0m`);

/** Runs a project script to completion, its output shown as it comes; resolves true on exit 0. */
function runStep(args: string[]): Promise<boolean> {
  return new Promise((resolveStep) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    child.on('exit', (code) => resolveStep(code === 0));
    child.on('error', () => resolveStep(false));
  });
}
const compose = () => runStep(['scripts/compose.ts']);
const codegen = () => runStep(['node_modules/.bin/graphql-codegen', '--config', 'codegen.ts']);

interface Plan {
  recompose: boolean;
  codegen: boolean;
  restart: Set<string>;
}

/** What a batch of changed files (paths relative to the repo) requires. */
export function planFor(paths: readonly string[]): Plan {
  const plan: Plan = { recompose: false, codegen: false, restart: new Set() };
  for (const path of paths) {
    const parts = path.split(sep);
    if (parts.includes('generated') || parts.includes('node_modules')) continue;
    if (parts[0] === 'subgraphs') {
      const name = parts[1] as SubgraphName | 'shared';
      if (name === 'shared') SUBGRAPHS.forEach((s) => plan.restart.add(s));
      else if (SUBGRAPHS.includes(name)) {
        if (parts[2] === 'schema.graphql') plan.recompose = true;
        plan.restart.add(name);
      }
    } else if (parts[0] === 'gateway') plan.restart.add('gateway');
    else if (parts[0] === 'lib') [...SUBGRAPHS, 'gateway'].forEach((s) => plan.restart.add(s));
    else if (parts[0] === 'schema' && parts[1] === 'operations' && path.endsWith('.graphql')) plan.codegen = true;
  }
  return plan;
}

async function apply(stack: Stack, plan: Plan): Promise<void> {
  if (plan.recompose) {
    say('subgraph schema changed: composing');
    if (!(await compose())) {
      say('composition failed (above): the stack keeps running the previous supergraph; fix the schema and save again');
      return;
    }
    plan.codegen = true;
    plan.restart.add('gateway');
  }
  if (plan.codegen) {
    say('regenerating types and the persisted-documents manifest');
    if (!(await codegen())) say('codegen failed (above)');
    // The gateway reads the committed manifest at start.
    plan.restart.add('gateway');
  }
  // Subgraphs first, so the restarted gateway finds them answering.
  const order = [...plan.restart].sort((a, b) => Number(a === 'gateway') - Number(b === 'gateway'));
  for (const name of order) {
    say(`restarting ${name}`);
    try {
      await stack.restart(name);
    } catch (error) {
      say(`${name} did not come back: ${(error as Error).message}; it restarts on your next save`);
    }
  }
  if (order.length > 0) say(`ready (${order.join(', ')} restarted)`);
}

const ports = stackPorts(basePortFromArgs());
await refuseBusyPorts('npm run dev', ports, busyPorts);
if (!(await runStep(['scripts/compose.ts', '--check'])) && !(await compose())) {
  say('composition failed: fix the subgraph schemas, then run npm run dev again');
  process.exit(1);
}
const stack = await startStack({ ...ports, logs: 'pretty' }).catch((error: Error) => {
  console.error(`dev failed to start: ${error.message}`);
  process.exit(1);
});

let pending = new Set<string>();
let timer: NodeJS.Timeout | undefined;
let busy: Promise<void> = Promise.resolve();
const watchers = ['subgraphs', 'gateway', 'lib', 'schema'].map((dir) =>
  watch(`${ROOT}/${dir}`, { recursive: true }, (_event, file) => {
    if (!file) return;
    pending.add(relative(ROOT, `${ROOT}/${dir}/${file}`));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const batch = [...pending];
      pending = new Set();
      // One change set at a time: saves during a restart queue up behind it.
      busy = busy.then(() => apply(stack, planFor(batch)));
    }, DEBOUNCE_MS);
  }),
);
superviseStack(stack, { exitWithChild: false, onStop: () => watchers.forEach((w) => w.close()) });
say('watching subgraphs/, gateway/, lib/ and schema/operations/ for changes');
