/**
 * Ends bin/precompiled.mjs's module hooks, when the process was started with it (a no-op otherwise).
 * Call it once every module the server needs is loaded: after it, each require() is as fast as without
 * the preload, and a TypeScript module imported later is still loaded (Node strips it).
 */
export function stopServingPrecompiledModules(): void {
  const stop = (globalThis as Record<symbol, unknown>)[Symbol.for('tma.precompiled.stop')];
  if (typeof stop === 'function') stop();
}
