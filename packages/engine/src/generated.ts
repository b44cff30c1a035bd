// Code generated from source text at run time (the way graphql-jit compiles queries), for the hot
// per-request walks: the result shaper (shape.ts) and the entity path walks (paths.ts). Every field
// read, property write and call in a generated function is a site of its own, so V8's inline caches
// see the few object shapes of that one field instead of every shape of the response (closures shared
// by all fields made those sites megamorphic).

/**
 * Functions generated from source text. The values they use are passed in as parameters, never
 * written into the source; the only literals in the source are JSON-quoted response names, numbers
 * and booleans.
 */
export class GeneratedFunction {
  private readonly names = new Map<unknown, string>();
  private readonly onBuild: (sourceChars: number) => void;

  /** `onBuild` is told the size of each source built (what the compiled operation holds, roughly) */
  constructor(onBuild: (sourceChars: number) => void) {
    this.onBuild = onBuild;
  }

  /** The name under which the generated code sees `value`. */
  ref(value: unknown): string {
    let name = this.names.get(value);
    if (name === undefined) this.names.set(value, (name = `$${this.names.size}`));
    return name;
  }

  /** One function `name(params) { body }`. */
  build<F>(name: string, params: string, body: string): F {
    return this.instantiate(`return function ${name}(${params}) {\n${body}\n};`, body.length);
  }

  /** Several functions in one source (`declarations`), which may call each other; returns `entry`. */
  buildFunctions<F>(declarations: string, entry: string): F {
    return this.instantiate(`${declarations}\nreturn ${entry};`, declarations.length);
  }

  /** Runs `source` (which returns the function) with the referenced values as parameters. */
  private instantiate<F>(source: string, generatedChars: number): F {
    this.onBuild(generatedChars);
    const factory = new Function(...this.names.values(), `'use strict';\n${source}`);
    return factory(...this.names.keys()) as F;
  }
}

/**
 * Throws a clear error where code cannot be generated from strings (node's
 * --disallow-code-generation-from-strings), instead of failing every request's shaping later.
 */
export function assertCodeGeneration(): void {
  try {
    new Function('return true')();
  } catch (error) {
    throw new Error(
      'The fast engine compiles result shaping and entity path walks into generated functions (new Function), and this process disallows code generation from strings (--disallow-code-generation-from-strings)',
      { cause: error },
    );
  }
}

/** Whether `obj[key]` reads an own property or nothing (not `__proto__`, not a name Object.prototype has). */
export function isPlainKey(key: string): boolean {
  return !(key in Object.prototype);
}

/**
 * Statements setting `target` to `key` of `input` as merged so far (merge.ts readMerged, given `il`: the
 * newest layer that has the key, else `input`), for a plain key (isPlainKey), inline.
 */
export function readCode(fn: GeneratedFunction, target: string, key: string): string {
  const k = JSON.stringify(key);
  return `if (il === undefined) ${target} = input[${k}];
else if (${fn.ref(Array.isArray)}(il)) {
  ${target} = undefined;
  for (let l = il.length - 1; l >= 0 && ${target} === undefined; l--) ${target} = il[l][${k}];
  if (${target} === undefined) ${target} = input[${k}];
} else if ((${target} = il[${k}]) === undefined) ${target} = input[${k}];`;
}
