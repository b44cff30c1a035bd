// autocannon ships no type declarations; this is the part bench/load.ts uses.
declare module 'autocannon' {
  namespace autocannon {
    interface Options {
      url: string;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      connections?: number;
      pipelining?: number;
      duration?: number;
      timeout?: number;
      verifyBody?: (body: string) => boolean;
      requests?: { setupRequest?: (req: { headers?: Record<string, string> }) => unknown }[];
    }
    interface Result {
      '2xx': number;
      non2xx: number;
      errors: number;
      timeouts: number;
      mismatches?: number;
    }
    interface Instance {
      on(event: 'response', listener: (client: unknown, status: number, bytes: number, responseTime: number) => void): void;
    }
  }
  function autocannon(options: autocannon.Options, callback: (error: unknown, result: autocannon.Result) => void): autocannon.Instance;
  export default autocannon;
}
