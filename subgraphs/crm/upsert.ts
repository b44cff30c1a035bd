/**
 * Writing a Telegram user's CRM contact (`upsertCustomer`) and making sure one
 * exists (`ensureContact`, for tickets). The contact is found by the unique
 * `telegram_user_id` property, else by e-mail, so a person who first reached
 * us through a web form becomes the same contact, never a duplicate. Lookups
 * are batch reads by unique property, not searches: HubSpot's search index
 * lags behind writes, a batch read does not. A write is sent only when a
 * property really changes, so the same input twice costs one write in all.
 */
import { z } from 'zod';
import { appError, badInput, ErrorCode } from '../../lib/errors.ts';
import { HubSpotError, type HubSpot, type HubSpotObject } from '../shared/connectors/hubspot.ts';
import { TAG_SEPARATOR } from './model.ts';

/** Cleared with `null`, left alone when absent. */
const optional = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

export const UpsertCustomerInput = z
  .object({
    userId: optional(z.string().regex(/^\d{1,20}$/, 'must be a Telegram user id (digits)')),
    email: optional(z.string().trim().toLowerCase().max(254).pipe(z.email('must be an e-mail address'))),
    phone: optional(
      z
        .string()
        .trim()
        .regex(/^\+?[0-9][0-9 ()-]{3,30}$/, 'must be a phone number (digits, spaces, + ( ) -)'),
    ),
    firstName: optional(z.string().trim().min(1).max(100)),
    lastName: optional(z.string().trim().min(1).max(100)),
    language: optional(
      z
        .string()
        .trim()
        .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as en or pt-BR'),
    ),
    marketingConsent: optional(z.boolean()),
    tags: optional(
      z
        .array(
          z
            .string()
            .trim()
            .min(1)
            .max(50)
            .regex(/^[^;]+$/, `must not contain "${TAG_SEPARATOR}"`),
        )
        .max(20),
    ),
  })
  .strict();
export type UpsertCustomerInput = z.infer<typeof UpsertCustomerInput>;

/** Parses the GraphQL input; the first problem becomes BAD_USER_INPUT naming its field (e.g. `email`, `tags.2`). */
export function parseUpsertInput(raw: unknown): UpsertCustomerInput {
  const parsed = UpsertCustomerInput.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  throw badInput(`\`${field}\` ${issue.message}`, field);
}

/** The HubSpot properties the input sets; `''` clears one. */
export function toContactProperties(input: UpsertCustomerInput): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (name: string, value: string | null | undefined) => {
    if (value !== undefined) out[name] = value ?? '';
  };
  set('email', input.email);
  set('phone', input.phone);
  set('firstname', input.firstName);
  set('lastname', input.lastName);
  set('hs_language', input.language);
  set(
    'tma_marketing_consent',
    input.marketingConsent === undefined ? undefined : input.marketingConsent === null ? null : String(input.marketingConsent),
  );
  set('tma_tags', input.tags === undefined ? undefined : input.tags === null ? null : [...new Set(input.tags)].sort().join(TAG_SEPARATOR));
  return out;
}

/** Only the properties whose value differs from what HubSpot holds (e-mail compared case-insensitively). */
export function changedProperties(current: HubSpotObject | undefined, wanted: Record<string, string>): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const [name, value] of Object.entries(wanted)) {
    const have = current?.properties[name] ?? '';
    const same = name === 'email' ? have.toLowerCase() === value.toLowerCase() : have === value;
    if (!same) changes[name] = value;
  }
  return changes;
}

const emailTaken = () => appError(ErrorCode.CONFLICT, '`email` belongs to the CRM contact of another Telegram user', { field: 'email' });

const isConflict = (error: unknown) => error instanceof HubSpotError && error.status === 409;

async function byTelegramId(hubspot: HubSpot, userId: string): Promise<HubSpotObject | undefined> {
  return (await hubspot.contactsByTelegramIds([userId]))[0];
}

/**
 * Creates the contact; when a concurrent request created it first (409 on the unique
 * `telegram_user_id`), that one is used instead, so two racing requests still make one contact.
 */
async function createOrAdopt(
  hubspot: HubSpot,
  userId: string,
  properties: Record<string, string>,
): Promise<{ contact: HubSpotObject; created: boolean }> {
  const nonEmpty = Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== ''));
  try {
    return { contact: await hubspot.createContact({ ...nonEmpty, telegram_user_id: userId }), created: true };
  } catch (error) {
    if (!isConflict(error)) throw error;
    const existing = await byTelegramId(hubspot, userId);
    if (!existing) throw emailTaken(); // the conflict was on the e-mail, and not with our user
    return { contact: existing, created: false };
  }
}

/** Finds the user's contact by Telegram id, else by e-mail (claiming it), merging an e-mail duplicate in. */
async function findContact(hubspot: HubSpot, userId: string, email: string | undefined): Promise<HubSpotObject | undefined> {
  const own = await byTelegramId(hubspot, userId);
  if (!email || (own && (own.properties.email ?? '').toLowerCase() === email)) return own;
  const byEmail = await hubspot.contactByEmail(email);
  if (!byEmail || byEmail.id === own?.id) return own;
  const owner = byEmail.properties.telegram_user_id;
  if (owner && owner !== userId) throw emailTaken();
  if (!own) return byEmail; // someone we knew by e-mail only: this user is that contact
  // Two records of one person: HubSpot merges the e-mail one into ours (associations move along).
  const merged = await hubspot.mergeContacts(own.id, byEmail.id);
  return (await hubspot.contactsByIds([merged.id]))[0] ?? merged;
}

export interface UpsertResult {
  contact: HubSpotObject;
  /** Whether HubSpot was written to (false: nothing changed). */
  written: boolean;
}

export async function upsertContact(hubspot: HubSpot, userId: string, input: UpsertCustomerInput): Promise<UpsertResult> {
  const wanted = toContactProperties(input);
  const found = await findContact(hubspot, userId, wanted.email || undefined);
  let contact = found;
  if (!contact) {
    const made = await createOrAdopt(hubspot, userId, wanted);
    if (made.created) return { contact: made.contact, written: true };
    contact = made.contact;
  }
  const changes = changedProperties(contact, { ...wanted, telegram_user_id: userId });
  if (Object.keys(changes).length === 0) return { contact, written: false };
  try {
    return { contact: await hubspot.updateContact(contact.id, changes), written: true };
  } catch (error) {
    if (isConflict(error)) throw emailTaken();
    throw error;
  }
}

/** The user's contact, created with just the Telegram id when there is none (tickets need a customer). */
export async function ensureContact(hubspot: HubSpot, userId: string): Promise<HubSpotObject> {
  const own = await byTelegramId(hubspot, userId);
  if (own) return own;
  return (await createOrAdopt(hubspot, userId, {})).contact;
}
