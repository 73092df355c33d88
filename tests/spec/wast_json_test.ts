import { deepEqual, equal, throws } from "node:assert/strict";
import { parseWastScript } from "./wast_json.ts";

Deno.test("parseWastScript() reads the commands wast2json writes", () => {
  const script = parseWastScript(JSON.stringify({
    source_filename: "address.wast",
    commands: [
      { type: "module", line: 3, filename: "address.0.wasm" },
      {
        type: "assert_return",
        line: 104,
        action: { type: "invoke", field: "8u_good1", args: [{ type: "i32", value: "0" }] },
        expected: [{ type: "v128", lane_type: "i32", value: ["1", "2", "3", "4"] }],
      },
      { type: "register", line: 572, name: "$module1", as: "module1" },
    ],
  }));
  equal(script.source_filename, "address.wast");
  deepEqual(script.commands.map((c) => [c.type, c.line]), [
    ["module", 3],
    ["assert_return", 104],
    ["register", 572],
  ]);
  equal(script.commands[1]?.action?.field, "8u_good1");
});

Deno.test("parseWastScript() keeps a command of an unknown type for the classifier", () => {
  const script = parseWastScript(
    '{"source_filename":"x.wast","commands":[{"type":"assert_suspension","line":1}]}',
  );
  equal(script.commands[0]?.type, "assert_suspension");
});

Deno.test("parseWastScript() rejects a command without a line", () => {
  throws(
    () => parseWastScript('{"source_filename":"x.wast","commands":[{"type":"module"}]}'),
    (error: unknown) => error instanceof SyntaxError && error.message.includes("line"),
  );
});

Deno.test("parseWastScript() rejects text that is not JSON", () => {
  throws(() => parseWastScript("{"), SyntaxError);
});
