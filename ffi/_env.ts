/**
 * Environment lookups that never prompt: a variable Deno was not allowed to
 * read counts as unset.
 *
 * @module
 */

/** Returns the variable's value, or undefined when unset or not permitted. */
export function envGet(name: string): string | undefined {
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
    return undefined;
  }
  return Deno.env.get(name);
}
