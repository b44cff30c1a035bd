/** The sandbox's demo credentials live in lib/demo so that production code never imports the sandbox. */
export { SANDBOX_CREDENTIALS } from '../../lib/demo/credentials.ts';
