/**
 * The JSON script that `wast2json` writes for a `.wast` file, and its parser.
 *
 * The format is wabt's (docs/wast2json.md in wabt): a list of commands, each
 * with a `type` and the `.wast` line it came from. Modules are written beside
 * the JSON as `.wasm` (binary) or `.wat` (text) files named by `filename`.
 *
 * @module
 */

import { z } from "zod";

const VALUE = z.looseObject({
  type: z.string(),
  value: z.union([z.string(), z.array(z.string())]).optional(),
  lane_type: z.string().optional(),
});

const ACTION = z.looseObject({
  type: z.string(),
  module: z.string().optional(),
  field: z.string(),
  args: z.array(VALUE).optional(),
});

// Loose on purpose: the fields a command carries depend on its type, and an
// unknown type must reach classifyCommand() so it is reported, not rejected here.
const COMMAND = z.looseObject({
  type: z.string(),
  line: z.number().int().nonnegative(),
  filename: z.string().optional(),
  module_type: z.enum(["binary", "text"]).optional(),
  name: z.string().optional(),
  as: z.string().optional(),
  text: z.string().optional(),
  action: ACTION.optional(),
  expected: z.array(VALUE).optional(),
});

const SCRIPT = z.looseObject({
  source_filename: z.string(),
  commands: z.array(COMMAND),
});

/** An argument or expected result of an action. */
export type WastValue = z.infer<typeof VALUE>;

/** An `invoke` or `get` of an export. */
export type WastAction = z.infer<typeof ACTION>;

/** One command of a script. */
export type WastCommand = z.infer<typeof COMMAND>;

/** A whole script as written by `wast2json`. */
export type WastScript = z.infer<typeof SCRIPT>;

/**
 * Parses the text of a `wast2json` JSON file.
 *
 * Throws `SyntaxError` when the text is not JSON or not a command script.
 */
export function parseWastScript(text: string): WastScript {
  const result = SCRIPT.safeParse(JSON.parse(text));
  if (!result.success) {
    throw new SyntaxError(`Cannot parse wast2json script: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}
