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
  gate_module_describe: {
    parameters: ["buffer", "usize", "buffer", "buffer", "usize", "buffer", "usize"],
    //           wasm      len      limits*   info      info_len err       err_len
    result: "i64",
  },
  gate_module_decode: {
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
  gate_image_new: {
    parameters: ["pointer", "buffer", "buffer", "usize"],
    //           module     image**   err       err_len
    result: "i32",
    nonblocking: true, // compiles a whole module: milliseconds and more
  },
  gate_image_free: {
    parameters: ["pointer"],
    //           gate_image *
    result: "void",
  },
  gate_image_bytes: {
    parameters: ["pointer", "buffer"],
    //           image      uint64_t *len
    result: "pointer", // const uint8_t *, valid until gate_image_free
  },
  gate_compiler_version: {
    parameters: [],
    result: "u32",
  },
  gate_image_new_flags: {
    parameters: ["pointer", "u32", "buffer", "buffer", "usize"],
    //           module     flags  image**   err       err_len
    result: "i32",
    nonblocking: true, // compiles a whole module: milliseconds and more
  },
  gate_executor_spawn: {
    parameters: ["buffer", "buffer", "buffer", "usize"],
    //           path      executor** err     err_len
    result: "i32",
    nonblocking: true, // starts a process and waits for its hello
  },
  gate_executor_free: {
    parameters: ["pointer"],
    //           gate_executor *
    result: "void",
    nonblocking: true, // waits for the executor to reap its instances
  },
  gate_executor_pid: {
    parameters: ["pointer"],
    //           executor
    result: "i32",
  },
  gate_executor_send: {
    parameters: ["pointer", "buffer", "usize", "buffer", "usize", "buffer", "usize"],
    //           executor   frame     len      image     image_len err       err_len
    result: "i32",
  },
  gate_executor_send_fd: {
    parameters: ["pointer", "buffer", "usize", "i32", "buffer", "usize"],
    //           executor   frame     len      fd     err       err_len
    result: "i32",
  },
  gate_state_memfd: {
    parameters: ["buffer", "usize"],
    //           err       err_len
    result: "i32", // the descriptor, or a negated status
  },
  gate_fd_close: {
    parameters: ["i32"],
    result: "void",
  },
  gate_executor_poll: {
    parameters: ["pointer", "buffer", "usize", "i32", "buffer", "usize"],
    //           executor   buf       len      timeout_ms err      err_len
    result: "i64",
    nonblocking: true, // the one outstanding wait for executor events
  },
  gate_executor_wake: {
    parameters: ["pointer"],
    //           executor
    result: "void",
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
  gate_fs_new: {
    parameters: ["buffer", "buffer", "usize"],
    //           gate_fs** err       err_len
    result: "i32",
  },
  gate_fs_preopen: {
    parameters: ["pointer", "buffer", "buffer", "u32", "buffer", "usize"],
    //           fs         host_path guest_path flags err       err_len
    result: "i32",
  },
  gate_fs_call: {
    parameters: ["pointer", "buffer", "usize", "buffer", "usize"],
    //           fs         req       req_len  reply     reply_cap
    result: "i64", // reply length, or a negated status for caller bugs
  },
  gate_fs_free: {
    parameters: ["pointer"],
    //           gate_fs *
    result: "void",
  },
  gate_blob_bytes: {
    parameters: ["pointer", "buffer"],
    //           blob       uint64_t *len
    result: "pointer", // const uint8_t *, lent until gate_blob_free
  },
  gate_blob_copy: {
    parameters: ["pointer", "buffer", "u64"],
    //           blob       dst       len
    result: "u64",
  },
  gate_blob_free: {
    parameters: ["pointer"],
    //           gate_blob *
    result: "void",
  },
  gate_snapshot_new: {
    parameters: [
      "buffer",
      "usize",
      "buffer",
      "usize",
      "buffer",
      "usize",
      "buffer",
      "buffer",
      "usize",
    ],
    //           module    len      state     len      buffers   len      gate_blob** err      err_len
    result: "i32",
    nonblocking: true, // scans and copies all of memory: milliseconds to seconds
  },
  gate_snapshot_new_fd: {
    parameters: ["buffer", "usize", "i32", "u64", "buffer", "usize", "buffer", "buffer", "usize"],
    //           module    len      fd     state_len buffers len     gate_blob** err     err_len
    result: "i32",
    nonblocking: true, // scans and copies all of memory: milliseconds to seconds
  },
  gate_snapshot_open: {
    parameters: ["buffer", "usize", "buffer", "buffer", "usize"],
    //           snapshot  len      gate_blob** err     err_len
    result: "i32",
    nonblocking: true, // validates the whole snapshot
  },
  gate_snapshot_open_parts: {
    parameters: ["buffer", "usize", "buffer", "buffer", "buffer", "buffer", "usize"],
    //           snapshot  len      gate_blob** program** int32 *fd err     err_len
    result: "i32",
    nonblocking: true, // validates the whole snapshot and copies its memory to a memfd
  },
  gate_snapshot_describe: {
    parameters: ["buffer", "usize", "buffer", "usize", "buffer", "usize"],
    //           bytes     len      buf       buf_len  err       err_len
    result: "i64", // full JSON length, or a negated status
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The ABI version this table was written against (GATE_ABI_VERSION in libgate.h). */
export const ABI_VERSION = 7;
