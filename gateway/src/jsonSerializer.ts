// Which JSON.stringify this process runs, for the fast engine's `rawJsonStrings` option.
//
// V8 has a side-effect-free serializer for plain data: the default from V8 13.8 (Node 25), behind
// the --json-stringify-fast-path flag in Node 24's V8 13.6, which the production launcher
// (bin/tma-gateway) passes. Measured on the federation benchmark's response (87 KB, Node 24):
// 181 µs with the classic serializer, 104 µs with its long strings as raw JSON values (what the
// engine does for the classic one), 58 µs with the fast serializer and plain strings, 78 µs with
// the fast serializer and raw JSON values. So raw strings pay only with the classic serializer.
// test/jsonFastPath.test.ts checks that the flag changes no byte of JSON.stringify's output.

const FLAG = '--json-stringify-fast-path';
const DEFAULT_FROM_V8 = [13, 8] as const;

export function jsonStringifyFastPath(v8Version: string = process.versions.v8, execArgv: readonly string[] = process.execArgv): boolean {
  // the last of the flag and its negation wins, as V8 reads them
  for (let i = execArgv.length - 1; i >= 0; i--) {
    if (execArgv[i] === FLAG) return true;
    if (execArgv[i] === '--no-json-stringify-fast-path') return false;
  }
  const [major = 0, minor = 0] = v8Version.split('.').map(Number);
  return major > DEFAULT_FROM_V8[0] || (major === DEFAULT_FROM_V8[0] && minor >= DEFAULT_FROM_V8[1]);
}
