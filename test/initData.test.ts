/** The initData verifier against the published and computed vectors of EXTERNAL-APIS.md §9. */
import { describe, expect, it } from 'vitest';
import { createInitDataVerifier, TELEGRAM_PUBLIC_KEYS } from '../gateway/src/auth/initData.ts';

const TV1 = {
  token: '123456:TEST-TOKEN',
  raw: 'query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Ivan%22%2C%22last_name%22%3A%22Test%22%2C%22username%22%3A%22ivan_test%22%2C%22language_code%22%3A%22en%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%7D&auth_date=1700000000&chat_instance=-3788475317572404878&chat_type=private&start_param=ref_42&hash=b2190d6c658a80ca99691cb8992784201af36c96a6897abda2c863cf17df8cae',
  authDate: 1_700_000_000,
};
const TV2 = {
  token: '7342037359:AAHI25ES9xCOMPokpYoz-p8XVrZUdygo2J4',
  raw: 'user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%20%2B%20-%20%3F%20%5C%2F%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%2C%22photo_url%22%3A%22https%3A%5C%2F%5C%2Ft.me%5C%2Fi%5C%2Fuserpic%5C%2F320%5C%2F4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg%22%7D&chat_instance=8134722200314281151&chat_type=private&auth_date=1733509682&signature=TYJxVcisqbWjtodPepiJ6ghziUL94-KNpG8Pau-X7oNNLNBM72APCpi_RKiUlBvcqo5L-LAxIc3dnTzcZX_PDg&hash=a433d8f9847bd6addcc563bff7cc82c89e97ea0d90c11fe5729cae6796a36d73',
  authDate: 1_733_509_682,
};
const TV3 = {
  publicKey: '03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8',
  raw: 'user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Ivan%22%2C%22username%22%3A%22ivan_test%22%2C%22language_code%22%3A%22en%22%7D&chat_instance=8134722200314281151&chat_type=sender&auth_date=1700000000&signature=8FE4mWjeWYuPzl_-1LCUZ63HadDNz9NAnzlCbxx6g4hwwC-ezolmtjMoWNGZx5OvWERnom4-gmsK2JOC_ZDdBw&hash=336df831072251fae06e2490309f578e412224c971a656552b878fb03ae80028',
};
const at = (sec: number) => () => sec * 1000;

describe('initData verification', () => {
  it('accepts TV1 (HMAC) and reads the user', () => {
    const verify = createInitDataVerifier({ botToken: TV1.token, maxAgeSeconds: 3600, now: at(TV1.authDate + 10) });
    const result = verify(TV1.raw);
    expect(result).toMatchObject({ ok: true, userId: '279058397', method: 'hmac', startParam: 'ref_42' });
    if (result.ok)
      expect(result.profile).toEqual({
        firstName: 'Ivan',
        lastName: 'Test',
        username: 'ivan_test',
        languageCode: 'en',
        isPremium: true,
        photoUrl: undefined,
      });
  });

  it('accepts real Telegram data (TV2): signature is part of the HMAC string', () => {
    const verify = createInitDataVerifier({ botToken: TV2.token, maxAgeSeconds: 60, now: at(TV2.authDate) });
    expect(verify(TV2.raw)).toMatchObject({ ok: true, method: 'hmac', userId: '279058397' });
  });

  it('accepts TV2 by its Ed25519 third-party signature alone (production key)', () => {
    const verify = createInitDataVerifier({ botToken: '7342037359:NOT-THE-TOKEN', maxAgeSeconds: 60, now: at(TV2.authDate) });
    expect(verify(TV2.raw)).toMatchObject({ ok: true, method: 'ed25519' });
    const withTestKey = createInitDataVerifier({
      botToken: '7342037359:NOT-THE-TOKEN',
      maxAgeSeconds: 60,
      now: at(TV2.authDate),
      publicKeys: [TELEGRAM_PUBLIC_KEYS.test],
    });
    expect(withTestKey(TV2.raw)).toMatchObject({ ok: false, reason: 'invalid_signature' });
  });

  it('accepts TV3 with an injected Ed25519 key, and by HMAC with its token', () => {
    const ed = createInitDataVerifier({ botToken: '123456:WRONG', maxAgeSeconds: 60, now: at(1_700_000_000), publicKeys: [TV3.publicKey] });
    expect(ed(TV3.raw)).toMatchObject({ ok: true, method: 'ed25519' });
    const hmac = createInitDataVerifier({ botToken: '123456:TEST-TOKEN', maxAgeSeconds: 60, now: at(1_700_000_000) });
    expect(hmac(TV3.raw)).toMatchObject({ ok: true, method: 'hmac' });
  });

  it('rejects a tampered user, a wrong token, stale and future auth_date, duplicated keys', () => {
    const verify = createInitDataVerifier({ botToken: TV1.token, maxAgeSeconds: 3600, now: at(TV1.authDate + 10) });
    expect(verify(TV1.raw.replace('Ivan', 'Ivam'))).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(createInitDataVerifier({ botToken: '123456:OTHER', maxAgeSeconds: 3600, now: at(TV1.authDate) })(TV1.raw)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
    const late = createInitDataVerifier({ botToken: TV1.token, maxAgeSeconds: 3600, now: at(TV1.authDate + 3601) });
    expect(late(TV1.raw)).toMatchObject({ ok: false, reason: 'expired' });
    const early = createInitDataVerifier({ botToken: TV1.token, maxAgeSeconds: 3600, now: at(TV1.authDate - 3600) });
    expect(early(TV1.raw)).toMatchObject({ ok: false, reason: 'not_yet_valid' });
    expect(verify(`${TV1.raw}&auth_date=1700000000`)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verify('')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verify('hash=zz&auth_date=x')).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
