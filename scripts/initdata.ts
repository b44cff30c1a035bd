/**
 * `npm run initdata -- [userId]`: prints a freshly signed Mini App initData
 * for a sandbox user, as the Authorization header a Mini App would send.
 * Uses TELEGRAM_BOT_TOKEN when set, else the sandbox bot token.
 */
import { DEFAULT_SANDBOX_USER_ID, signSandboxInitData } from '../gateway/src/auth/sandboxInitData.ts';
import { SANDBOX_CREDENTIALS } from '../lib/demo/credentials.ts';

const userId = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : DEFAULT_SANDBOX_USER_ID;
const initData = signSandboxInitData(userId, process.env.TELEGRAM_BOT_TOKEN ?? SANDBOX_CREDENTIALS.telegramBotToken);
if (process.argv.includes('--raw')) console.log(initData);
else console.log(`Authorization: tma ${initData}`);
