/**
 * Twilio messaging addresses: `whatsapp:+14155238886` (WhatsApp) and `+15005550006` (SMS).
 * Source: Twilio Messaging webhook docs (WhatsApp addresses carry the `whatsapp:` channel prefix).
 */
import { normalizePhone } from '../../domain/addresses';

/** The Twilio-carried kinds. */
export type TwilioKind = 'sms' | 'whatsapp';

/** A Twilio messaging address split into channel kind and E.164 number. */
export interface TwilioAddress {
  kind: TwilioKind;
  phone: string;
}

/**
 * Parses a Twilio `From`/`To` value: `whatsapp:+14155238886` → WhatsApp, `+15005550006` → SMS.
 * @returns `null` when the number part is not a possible phone number.
 */
export function parseTwilioAddress(value: string): TwilioAddress | null {
  const kind = /^whatsapp:/i.test(value.trim()) ? 'whatsapp' : 'sms';
  const phone = normalizePhone(value);
  return phone === null ? null : { kind, phone };
}

/** Formats an E.164 number as the Twilio address for a channel (`whatsapp:+…` or `+…`). */
export function toTwilioAddress(kind: TwilioKind, phone: string): string {
  return kind === 'whatsapp' ? `whatsapp:${phone}` : phone;
}
