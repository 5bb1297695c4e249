/**
 * Plain text of an HTML email body, for mail that comes without a text part (newsletters, some
 * mobile clients, HTML-only forms). Library: `html-to-text` (npm, maintained, MIT): it skips
 * `<head>`, `<style>` and `<script>`, keeps paragraphs and lists as line breaks and writes links as
 * `text [href]`.
 */
import { convert } from 'html-to-text';

/**
 * `html` → readable plain text: no line wrapping, images dropped (inline `cid:` images are listed
 * as attachments anyway), surrounding white space trimmed. `''` (or white space) → `''`.
 */
export function htmlToPlainText(html: string): string {
  if (html.trim() === '') return '';
  return convert(html, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }] }).trim();
}
