import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Normalises a phone number to E.164 (`+15551234567`).
 * Accepts `+…` international input with spaces, dashes or parentheses, and Twilio's
 * `whatsapp:+…` form. Numbers without a leading `+` are read as international digits.
 * Validity is checked with libphonenumber-js (Google's libphonenumber metadata); the
 * reserved test ranges used by Twilio's magic numbers (e.g. `+15005550006`) are accepted
 * when they are 8–15 digits (ITU-T E.164 length), since they parse as possible numbers.
 * @returns the E.164 string, or `null` if the input is not a possible phone number.
 */
export function normalizePhone(input: string): string | null {
  const raw = input
    .trim()
    .replace(/^whatsapp:/i, '')
    .trim();
  if (!/^\+?[\d\s().-]+$/.test(raw)) return null;
  const withPlus = raw.startsWith('+') ? raw : `+${raw}`;
  const parsed = parsePhoneNumberFromString(withPlus);
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number;
}

