/**
 * Types of the `cookie` package's `parse` (jshttp/cookie 0.7, which Express 5 depends on and uses for
 * `res.cookie`; a direct dependency; the package ships no types of its own).
 */
declare module 'cookie' {
  /** Parses a `Cookie` request header into name → value (values URI-decoded; the first of repeated names wins). */
  export function parse(header: string, options?: { decode?: (value: string) => string }): Record<string, string | undefined>;
}
