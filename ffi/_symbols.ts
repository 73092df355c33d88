/**
 * The one symbol table of libgate, mirroring native/libgate.h one for one.
 * The C type of every parameter is written beside it.
 *
 * @module
 */

export const SYMBOLS = {
  gate_abi_version: {
    parameters: [],
    result: "u32",
  },
  gate_status_name: {
    parameters: ["i32"],
    //           status
    result: "pointer", // const char * (static), NULL if unknown
  },
  gate_struct_size: {
    parameters: ["u32"],
    //           id (enum gate_struct_id)
    result: "usize",
  },
  gate_limits_default: {
    parameters: ["buffer"],
    //           gate_limits *out
    result: "void",
  },
  gate_module_new: {
    parameters: ["buffer", "usize", "buffer", "buffer", "buffer", "usize"],
    //           wasm      len      limits*   module**  err       err_len
    result: "i32",
  },
  gate_module_free: {
    parameters: ["pointer"],
    //           gate_module *
    result: "void",
  },
  gate_module_info: {
    parameters: ["pointer", "buffer", "usize"],
    //           module     buf       len
    result: "i64",
  },
  gate_selftest_hash: {
    parameters: ["buffer", "usize"],
    //           buf       len
    result: "u64",
  },
  gate_selftest_fail: {
    parameters: ["i32", "buffer", "buffer", "usize"],
    //           status detail    err       err_len
    result: "i32",
  },
  gate_selftest_sleep: {
    parameters: ["u32"],
    //           ms
    result: "u32",
    nonblocking: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The ABI version this table was written against (GATE_ABI_VERSION in libgate.h). */
export const ABI_VERSION = 1;
