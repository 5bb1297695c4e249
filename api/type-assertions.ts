/**
 * Compile-time checks for the schema files: `export type XMatchesSchema = Assert<Same<z.infer<typeof X>, XJson>>`
 * compiles only when the view a `db/` module builds has exactly the shape its zod schema documents, so
 * the OpenAPI document cannot drift from the responses. Types only: nothing at run time.
 */

/** `true` when `A` and `B` are mutually assignable, else `false`. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Compiles only when `T` is `true`. */
export type Assert<T extends true> = T;
