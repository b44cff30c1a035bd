/**
 * A freshly signed Mini App initData for a user, as a Telegram client would
 * send it: the profile of a sandbox seed user when the id is one, a demo
 * profile otherwise. Used by `npm run initdata` and the development explorer.
 */
import { signInitData } from './initData.ts';
import { SEED_USERS } from '../../../lib/demo/seed.ts';

export function signSandboxInitData(userId: string, botToken: string, now = Date.now()): string {
  const seeded = SEED_USERS.find((u) => String(u.id) === userId);
  const user = {
    id: Number(userId),
    first_name: seeded?.first_name ?? 'Demo',
    ...(seeded?.last_name ? { last_name: seeded.last_name } : {}),
    ...(seeded?.username ? { username: seeded.username } : {}),
    language_code: seeded?.language_code ?? 'en',
    ...(seeded?.is_premium ? { is_premium: true } : {}),
  };
  return signInitData(
    { user: JSON.stringify(user), auth_date: String(Math.floor(now / 1000)), chat_type: 'sender', chat_instance: '8134722200314281151' },
    botToken,
  );
}

export const DEFAULT_SANDBOX_USER_ID = String(SEED_USERS[0]!.id);
