// Runs a WASI preview1 command under Node's node:wasi, with the same options
// and argv as `gate call`, so tests can compare Gate's output with Node's:
//
//   node node_wasi_run.mjs [--arg ARG]... [--env KEY=VALUE]... [--dir HOST[::GUEST]]... FILE.wasm
//
// Each option may also be written --option=VALUE; a value may begin with a
// dash (--arg -batch), as in `gate call`.
// argv[0] is the file's base name (as in `gate call`); stdin, stdout and
// stderr are this process's; the exit status is the program's. Imports from
// other modules than wasi_snapshot_preview1 are refused, as Gate refuses them.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import process from "node:process";
import { WASI } from "node:wasi";

function usage(message) {
  process.stderr.write(
    `node_wasi_run: ${message}\nUsage: node node_wasi_run.mjs [--arg ARG]... ` +
      `[--env KEY=VALUE]... [--dir HOST[::GUEST]]... FILE.wasm\n`,
  );
  process.exit(2);
}

const args = [];
const env = {};
const preopens = {};
const argv = process.argv.slice(2);
let file;
while (argv.length > 0) {
  let option = argv.shift();
  if (!option.startsWith("--")) {
    file = option;
    break;
  }
  let value;
  const eq = option.indexOf("=");
  if (eq > 0) {
    value = option.slice(eq + 1);
    option = option.slice(0, eq);
  } else {
    value = argv.shift();
  }
  if (value === undefined) usage(`option ${option} needs a value`);
  if (option === "--arg") {
    args.push(value);
  } else if (option === "--env") {
    const at = value.indexOf("=");
    if (at <= 0) usage(`bad --env "${value}"`);
    env[value.slice(0, at)] = value.slice(at + 1);
  } else if (option === "--dir") {
    const at = value.indexOf("::");
    const host = at < 0 ? value : value.slice(0, at);
    const guest = at < 0 ? value : value.slice(at + 2);
    preopens[guest] = host;
  } else {
    usage(`unknown option ${option}`);
  }
}
if (file === undefined || argv.length > 0) usage("expected options, then one FILE.wasm");

const module = await WebAssembly.compile(await readFile(file));
for (const i of WebAssembly.Module.imports(module)) {
  if (i.module !== "wasi_snapshot_preview1") {
    usage(`"${file}" imports ${i.module}.${i.name}: not a WASI preview1 program`);
  }
}
const wasi = new WASI({
  version: "preview1",
  args: [basename(file), ...args],
  env,
  preopens,
  returnOnExit: true,
});
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
