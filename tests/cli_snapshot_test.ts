// `gate call` suspended with SIGQUIT (Ctrl-\) writes a snapshot; `gate
// resume` continues it in another process; `gate snapshot --inspect` shows
// its stack.
import { assert, assertEquals } from "./_assert.ts";
import { buildExamples } from "./real/_run.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const CACHE = new URL("../.cache/cli_snapshot_test/", import.meta.url).pathname;
const text = new TextDecoder();

function gateCommand(cwd: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-read",
      "--allow-env",
      `--allow-write=${CACHE}`,
      CLI,
      ...args,
    ],
    cwd,
    env: { GATE_CACHE_DIR: `${CACHE}image-cache/`, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Reads a child's stdout until it includes `until`, then sends SIGQUIT; returns its output. */
async function quitAfter(
  child: Deno.ChildProcess,
  until: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stderr = new Response(child.stderr).text();
  let stdout = "";
  const reader = child.stdout.getReader();
  let quit = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += text.decode(value, { stream: true });
    if (!quit && stdout.includes(until)) {
      child.kill("SIGQUIT");
      quit = true;
    }
  }
  const { code } = await child.status;
  return { code, stdout, stderr: await stderr };
}

async function output(child: Deno.ChildProcess): Promise<{ code: number; stdout: string }> {
  const { code, stdout, stderr } = await child.output();
  return { code, stdout: text.decode(stdout) + text.decode(stderr) };
}

Deno.test("gate call suspends on SIGQUIT and writes a snapshot that gate resume continues", async () => {
  const examples = await buildExamples();
  await Deno.mkdir(CACHE, { recursive: true });
  const cwd = await Deno.makeTempDir({ dir: CACHE });
  try {
    // Four ticks, a second apart: quit after the second.
    const call = gateCommand(cwd, ["call", "--arg", "4", `${examples}counter.wasm`]);
    const first = await quitAfter(call, "tick 2\n");
    assertEquals(first.code, 0, first.stderr);
    assertEquals(first.stdout, "tick 1\ntick 2\n");
    const match = /^snapshot written to (\.\/counter\.([0-9a-f]{8})\.snapshot\.wasm)\n$/.exec(
      first.stderr,
    );
    assert(match, first.stderr);
    const file = `${cwd}/${match[1]!.slice(2)}`;
    const bytes = await Deno.readFile(file);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    assertEquals(
      match[2],
      Array.from(digest.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(""),
    );

    const inspect = await output(gateCommand(cwd, ["snapshot", "--inspect", match[1]!]));
    assertEquals(inspect.code, 0, inspect.stdout);
    assert(inspect.stdout.includes("snapshot, suspended (resumable)"), inspect.stdout);
    assert(
      /\n {4}call main \(function \d+, offset 0x[0-9a-f]+\) locals \[/.test(inspect.stdout),
      inspect.stdout,
    );
    assert(/\n {4}(host|at) \S+/.test(inspect.stdout), inspect.stdout);

    // The resumed program prints the ticks that were left, and exits as it would have.
    const resumed = await output(gateCommand(cwd, ["resume", match[1]!]));
    assertEquals(resumed, { code: 0, stdout: "tick 3\ntick 4\n" });
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("gate resume suspends again on SIGQUIT, to --snapshot PATH", async () => {
  const examples = await buildExamples();
  await Deno.mkdir(CACHE, { recursive: true });
  const cwd = await Deno.makeTempDir({ dir: CACHE });
  try {
    const call = gateCommand(cwd, ["call", "--snapshot", "one.wasm", `${examples}counter.wasm`]);
    const first = await quitAfter(call, "tick 1\n");
    assertEquals({ code: first.code, stderr: first.stderr }, {
      code: 0,
      stderr: "snapshot written to one.wasm\n",
    });
    const resume = gateCommand(cwd, ["resume", "--snapshot", "two.wasm", "one.wasm"]);
    const second = await quitAfter(resume, "tick 2\n");
    assertEquals(second, { code: 0, stdout: "tick 2\n", stderr: "snapshot written to two.wasm\n" });
    const third = await quitAfter(gateCommand(cwd, ["resume", "two.wasm"]), "tick 3\n");
    assertEquals(third.stdout, "tick 3\n");
    assert(
      /^snapshot written to \.\/two\.[0-9a-f]{8}\.snapshot\.wasm\n$/.test(third.stderr),
      third.stderr,
    );
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("gate resume and gate snapshot refuse bad usage and bad files", async (t) => {
  await Deno.mkdir(CACHE, { recursive: true });
  const cwd = await Deno.makeTempDir({ dir: CACHE });
  try {
    await Deno.writeFile(`${cwd}/bad.wasm`, new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    const cases: [string[], number, string][] = [
      [["resume", "--arg", "x", "bad.wasm"], 2, "--arg cannot be given"],
      [["resume"], 2, "expected [OPTIONS] SNAPSHOT.wasm"],
      [["resume", "bad.wasm"], 1, `gate resume: "bad.wasm": `],
      [["snapshot", "bad.wasm"], 2, "expected --inspect FILE"],
      [["snapshot", "--inspect", "bad.wasm"], 1, `gate snapshot: "bad.wasm": `],
    ];
    for (const [args, code, message] of cases) {
      await t.step(args.join(" "), async () => {
        const result = await output(gateCommand(cwd, args));
        assertEquals(result.code, code, result.stdout);
        assert(result.stdout.includes(message), result.stdout);
      });
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
