/**
 * Gate's HTTP server: a `Request -> Response` handler plus `serve()`.
 *
 * The HTTP API of the reference (modules, instances, actions) is not
 * implemented yet; until it is, every path under `/gate-0/` answers 501 with a
 * message saying so, and `GET /health` reports the library's ABI version.
 *
 * @module
 */

import { lib } from "./ffi/_library.ts";

/** Options for {@linkcode createHandler}. */
export interface HandlerOptions {
  /** Path prefix of the API; default `/gate-0/`. */
  basePath?: string;
}

/** Returns the request handler of the Gate server. */
export function createHandler(
  options: HandlerOptions = {},
): (req: Request) => Promise<Response> {
  const base = options.basePath ?? "/gate-0/";
  return (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (url.pathname === "/health" && (req.method === "GET" || req.method === "HEAD")) {
      return Promise.resolve(Response.json({ ok: true, abi: lib().gate_abi_version() }));
    }
    if (url.pathname === base.slice(0, -1) || url.pathname.startsWith(base)) {
      return Promise.resolve(text(501, "The Gate HTTP API is not implemented yet"));
    }
    return Promise.resolve(text(404, `Not found: "${url.pathname}"`));
  };
}

function text(status: number, message: string): Response {
  return new Response(message + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", server: "gate" },
  });
}

/** Serves the handler on the given port (default 8080, or PORT). */
export function serve(port = Number(Deno.env.get("PORT") ?? 8080)): Deno.HttpServer {
  return Deno.serve({ port }, createHandler());
}

if (import.meta.main) serve();
