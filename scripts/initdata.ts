/**
 * `npm run initdata -- [userId]`: prints a freshly signed Mini App initData
 * for a sandbox user, as the Authorization header a Mini App would send.
 * Uses TELEGRAM_BOT_TOKEN when set, else the sandbox bot token.
 */
import { signInitData } from '../gateway/src/auth/initData.ts';
import { SANDBOX_CREDENTIALS } from '../lib/demo/credentials.ts';
import { SEED_USERS } from '../lib/demo/seed.ts';

const userId = process.argv[2] ?? String(SEED_USERS[0]!.id);
const seeded = SEED_USERS.find((u) => String(u.id) === userId);
const user = {
  id: Number(userId),
  first_name: seeded?.first_name ?? 'Demo',
  ...(seeded?.last_name ? { last_name: seeded.last_name } : {}),
  ...(seeded?.username ? { username: seeded.username } : {}),
  language_code: seeded?.language_code ?? 'en',
  ...(seeded?.is_premium ? { is_premium: true } : {}),
};
const initData = signInitData(
  { user: JSON.stringify(user), auth_date: String(Math.floor(Date.now() / 1000)), chat_type: 'sender', chat_instance: '8134722200314281151' },
  process.env.TELEGRAM_BOT_TOKEN ?? SANDBOX_CREDENTIALS.telegramBotToken,
);
if (process.argv.includes('--raw')) console.log(initData);
else console.log(`Authorization: tma ${initData}`);
