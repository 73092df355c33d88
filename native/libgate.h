/*
 * libgate: the C side of Gate for Deno.
 *
 * Every exported function is declared here and nowhere else; ffi/_symbols.ts
 * mirrors these prototypes one for one. Conventions (docs/ffi.md):
 *
 *   - Functions that can fail return an int status from errors.def (GATE_OK is
 *     0) and write a NUL-terminated message into a caller-owned buffer
 *     (err, err_len). err may be NULL when err_len is 0.
 *   - Pointer arguments are lent for the duration of the call; the library
 *     copies whatever it keeps. Output handles (T **out) are owned by the
 *     caller on success and untouched on failure.
 *   - Every gate_x_new has a gate_x_free that accepts NULL.
 *   - Nothing here calls exit() or abort().
 */
#ifndef GATE_LIBGATE_H
#define GATE_LIBGATE_H

#include <stddef.h>
#include <stdint.h>

#define GATE_API __attribute__((visibility("default")))

/* Bumped whenever a prototype or a struct below changes; ffi/_library.ts
 * refuses to run against a library with another number. */
#define GATE_ABI_VERSION 7

enum gate_status {
#define GATE_ERROR(name, num, cls, desc) GATE_##name = num,
#include "errors.def"
#undef GATE_ERROR
};

/* Returns GATE_ABI_VERSION as compiled into the library. */
GATE_API uint32_t gate_abi_version(void);

/* Returns the static name of a status ("GATE_MALFORMED"), or NULL if unknown. */
GATE_API const char *gate_status_name(int status);

/*
 * Structs that cross the seam. Each has a _Static_assert on its size in C and
 * a size check in tests/ffi_seam_test.ts against the layout in
 * ffi/_structs.ts; change all three together.
 */
enum gate_struct_id {
	GATE_STRUCT_LIMITS = 1,
};

/* Returns sizeof the struct named by id (enum gate_struct_id), 0 if unknown. */
GATE_API size_t gate_struct_size(uint32_t id);

/*
 * Resource bounds applied while decoding and validating an untrusted module.
 * A module over a bound is rejected with GATE_LIMIT. Defaults in
 * gate_limits_default() and docs/validator.md. Mirror: ffi/_structs.ts.
 */
typedef struct gate_limits {
	uint64_t module_size;   /* bytes of the whole module */
	uint32_t types;         /* entries in the type section */
	uint32_t functions;     /* imported + defined functions */
	uint32_t imports;
	uint32_t exports;
	uint32_t globals;
	uint32_t tables;
	uint32_t memories;
	uint32_t elem_segments;
	uint32_t data_segments;
	uint32_t params;        /* per function type */
	uint32_t results;       /* per function type */
	uint32_t locals;        /* per function, params included */
	uint32_t body_size;     /* bytes of one function body */
	uint32_t nesting;       /* depth of nested blocks in one body */
	uint32_t br_table;      /* targets of one br_table */
	uint32_t operand_stack; /* values on the operand stack of one body */
	uint32_t table_size;    /* initial elements of one table */
	uint32_t elem_items;    /* items of one element segment */
	uint32_t names;         /* entries in one name map of the name section */
} gate_limits;

/* Fills *out with the default limits. */
GATE_API void gate_limits_default(gate_limits *out);

/*
 * A decoded and validated module. Opaque.
 *
 * gate_module_new() decodes and validates wasm[0..len) under limits (NULL
 * means the defaults). On success *out owns a new module (free it with
 * gate_module_free) and the function returns GATE_OK. On failure it returns
 * GATE_MALFORMED, GATE_INVALID, GATE_LIMIT or GATE_OUT_OF_MEMORY, writes a
 * message naming the problem and its byte offset into err, and leaves *out
 * untouched. The module keeps no pointer into wasm.
 */
typedef struct gate_module gate_module;

GATE_API int gate_module_new(const uint8_t *wasm, size_t len, const gate_limits *limits,
			     gate_module **out, char *err, size_t err_len);
GATE_API void gate_module_free(gate_module *module);

/*
 * Like gate_module_new(), but leaves function bodies unvalidated: use it only
 * when gate_image_new() follows, which validates every body as it compiles
 * it (so a module is validated once, not twice). Until gate_image_new()
 * succeeds, the module's description may be of an invalid module.
 */
GATE_API int gate_module_decode(const uint8_t *wasm, size_t len, const gate_limits *limits,
				gate_module **out, char *err, size_t err_len);

/*
 * Describes a module as JSON (the shape is ModuleInfo in ffi/module.ts):
 * imports and exports with their types, memories, tables, globals, custom
 * section names and function names. Writes at most len bytes into buf (not
 * NUL-terminated) and returns the full length, so a caller whose buffer was
 * too small calls again with a larger one. Returns -1 if out of memory.
 */
GATE_API int64_t gate_module_info(const gate_module *module, uint8_t *buf, size_t len);

/*
 * Validates and describes in one call, without keeping or copying the
 * module: the fast path of validate(). Returns the full length of the JSON
 * (as gate_module_info; at most info_len bytes are written, so a caller
 * whose buffer was too small calls again with a larger one), or a negated
 * status (-GATE_MALFORMED, ...) with a message in err.
 */
GATE_API int64_t gate_module_describe(const uint8_t *wasm, size_t len, const gate_limits *limits,
				      uint8_t *info, size_t info_len, char *err, size_t err_len);

/*
 * A compiled image: machine code plus what an instance process needs to run
 * it (function and stub offsets, memory-access trap sites, stack maps,
 * segments, imports and exports). Position-independent and self-contained:
 * its serialized bytes are cached on disk and sent to instance processes,
 * which load them with the runtime (native/rt/rt.h). Format: docs/image.md.
 *
 * gate_image_new() compiles a validated module. On success *out owns a new
 * image (free it with gate_image_free). On failure it returns a status and
 * writes a message into err. The image keeps no pointer into module.
 */
typedef struct gate_image gate_image;

GATE_API int gate_image_new(const gate_module *module, gate_image **out, char *err,
			    size_t err_len);
GATE_API void gate_image_free(gate_image *image);

/* Returns the serialized image, valid until gate_image_free(), and writes its
 * length into *len. */
GATE_API const uint8_t *gate_image_bytes(const gate_image *image, uint64_t *len);

/* Version of the code generator and image format; part of the image cache
 * key, so bump it whenever generated code or the format changes. */
GATE_API uint32_t gate_compiler_version(void);

/*
 * gate_image_new() with code generation options, to measure what a feature
 * costs (bench/, issue #5); 0 is exactly gate_image_new(). Ownership and
 * statuses as for gate_image_new(); flags outside the ones below return
 * GATE_INVALID_ARGUMENT with a message and leave *out untouched. Callers
 * that cache images must key them by flags too (docs/image_cache.md).
 *
 * GATE_COMPILE_NO_LOOP_CHECKS: no suspend check at loop heads, so a loop is
 * no safepoint: such code cannot be suspended while it loops. For
 * measurement only.
 * GATE_COMPILE_NO_PINS: every local stays in its frame slot, none in a
 * register (another register allocation; a snapshot taken in such code
 * resumes in normal code and the other way round).
 */
#define GATE_COMPILE_NO_LOOP_CHECKS 0x1
#define GATE_COMPILE_NO_PINS 0x2

GATE_API int gate_image_new_flags(const gate_module *module, uint32_t flags, gate_image **out,
				  char *err, size_t err_len);

/*
 * The executor client (docs/protocol.md). gate-executor is a separate,
 * single-threaded program that forks instance processes; the Deno process
 * never forks. Frames are those of native/executor/protocol.h.
 *
 * gate_executor_spawn() starts the executor at path (NUL-terminated) with
 * posix_spawn, waits for its hello and checks its protocol and ABI versions.
 * On success *out owns it (free it with gate_executor_free). On failure it
 * returns GATE_IO (cannot start, no hello) or GATE_PROTOCOL (versions
 * differ), writes a message, and leaves nothing running.
 */
typedef struct gate_executor gate_executor;

GATE_API int gate_executor_spawn(const char *path, gate_executor **out, char *err,
				 size_t err_len);

/* Closes the control channel, so the executor kills its instances and
 * exits; reaps it (killing it after 2 s). Must not run during a poll of
 * the same executor. Accepts NULL. */
GATE_API void gate_executor_free(gate_executor *executor);

/* The executor's process id. */
GATE_API int32_t gate_executor_pid(const gate_executor *executor);

/*
 * Sends one frame (frame[0..len), header included). With image non-NULL
 * the frame must carry GATE_FRAME_FD: image[0..image_len) (a LOAD's image,
 * a RESUME's gate.stack payload) is copied into a sealed memfd that travels
 * with the frame. Safe to call while another
 * thread polls. Returns GATE_OK, GATE_INVALID_ARGUMENT for a malformed
 * frame, or GATE_IO when the executor is gone or accepts nothing for 5 s.
 */
GATE_API int gate_executor_send(gate_executor *executor, const uint8_t *frame, size_t len,
				const uint8_t *image, size_t image_len, char *err,
				size_t err_len);

/*
 * Sends one frame that carries GATE_FRAME_FD with descriptor fd, which the
 * caller keeps (a STATE's memfd, from gate_state_memfd()). Returns as
 * gate_executor_send().
 */
GATE_API int gate_executor_send_fd(gate_executor *executor, const uint8_t *frame, size_t len,
				   int32_t fd, char *err, size_t err_len);

/*
 * A new, empty memfd for a STATE request: the instance process writes the
 * state wire into it (docs/protocol.md), and gate_snapshot_new_fd() seals
 * and reads it. Returns the descriptor, or -GATE_IO with a message.
 */
GATE_API int32_t gate_state_memfd(char *err, size_t err_len);

/* Closes a descriptor from gate_state_memfd() that will not reach
 * gate_snapshot_new_fd() (a failed request). Accepts -1. */
GATE_API void gate_fd_close(int32_t fd);

/*
 * Waits up to timeout_ms (-1: no limit) for frames from the executor, then
 * writes as many whole frames as fit into buf[0..len) (len must be at least
 * GATE_FRAME_MAX, 65536) and returns their total length: 0 after a timeout
 * or a wake. Returns -GATE_IO once the executor has ended (after the frames
 * it sent before), -GATE_PROTOCOL for a malformed frame. Meant to run as a
 * nonblocking FFI call: at most one poll per executor at a time.
 */
GATE_API int64_t gate_executor_poll(gate_executor *executor, uint8_t *buf, size_t len,
				    int32_t timeout_ms, char *err, size_t err_len);

/* Makes a running (or the next) gate_executor_poll() return at once. */
GATE_API void gate_executor_wake(gate_executor *executor);

/*
 * The FS server (docs/files.md): serves the FS frames of a program run with
 * preopened host directories (docs/protocol.md, "Programs"), in the Deno
 * process. Every path of the program is resolved beneath its directory with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS); nothing it names can
 * leave it. Not thread-safe: one call at a time per object.
 *
 * gate_fs_new() creates a server with no preopens. On success *out owns it
 * (free it with gate_fs_free, which closes every descriptor); on failure it
 * returns GATE_OUT_OF_MEMORY with a message and leaves *out untouched.
 */
typedef struct gate_fs gate_fs;

#define GATE_FS_READ_ONLY 0x1 /* gate_fs_preopen: the program may change nothing */

GATE_API int gate_fs_new(struct gate_fs **out, char *err, size_t err_len);

/*
 * Opens the host directory host_path (resolved normally: the caller's
 * choice) and gives it to the program as guest_path (prestat name) at the
 * next descriptor: 3, 4, ... in call order. All preopens come before the
 * first gate_fs_call(). Both strings are copied. Returns GATE_OK, or
 * GATE_INVALID_ARGUMENT (bad flags or guest path, or after a call),
 * GATE_LIMIT (over 256 preopens), GATE_IO (cannot open it, not a
 * directory), GATE_OUT_OF_MEMORY, with a message; a failure changes nothing.
 */
GATE_API int gate_fs_preopen(struct gate_fs *fs, const char *host_path, const char *guest_path,
			     uint32_t flags, char *err, size_t err_len);

/*
 * Serves one FS payload req[0..req_len) (the frame less its header: u32 op,
 * u64 scalars, u32-len buffers) and writes the FS_REPLY payload (u32 WASI
 * errno, u64 scalars, u32-len data) into reply, which must hold
 * GATE_FS_REPLY_MAX bytes. Returns the reply's length. A malformed or
 * hostile request gets an errno reply (EINVAL 28, ENOSYS 52, ENOTCAPABLE
 * 76, ...); only caller bugs return a negated status: -GATE_BUFFER_TOO_SMALL
 * (reply_cap), -GATE_INVALID_ARGUMENT (NULL fs or req). Never blocks for
 * long: FIFOs and devices are opened and read non-blocking.
 */
#define GATE_FS_REPLY_MAX 65520 /* a frame (GATE_FRAME_MAX) less its header */

GATE_API int64_t gate_fs_call(struct gate_fs *fs, const uint8_t *req, size_t req_len,
			      uint8_t *reply, size_t reply_cap);

/* Closes every descriptor and frees fs. Accepts NULL. */
GATE_API void gate_fs_free(struct gate_fs *fs);

/*
 * Snapshots (docs/snapshot.md): a suspended or ended program's state as a
 * valid WebAssembly module. The executor's STATE gives the instance's
 * state as opaque bytes (the state wire, docs/snapshot.md); these turn it
 * into a snapshot and take snapshots apart for resuming. All are pure (no
 * I/O) and may run on any thread.
 *
 * A gate_blob holds bytes libgate made: gate_blob_bytes() lends them (and
 * their length in *len) until gate_blob_free(), which accepts NULL.
 */
typedef struct gate_blob gate_blob;

GATE_API const uint8_t *gate_blob_bytes(const gate_blob *blob, uint64_t *len);
GATE_API void gate_blob_free(gate_blob *blob);
/* Copies min(len, the blob's length) bytes into dst, fresh zeroed memory
 * such as a new ArrayBuffer, mapping its pages first in one go (huge
 * pages where the kernel has them); returns the count. */
GATE_API uint64_t gate_blob_copy(const gate_blob *blob, uint8_t *dst, uint64_t len);

/*
 * Builds a snapshot of the program that ran module[0..module_len) (the
 * original module, or the snapshot it was resumed from), from state (the
 * concatenated STATE_DATA bytes) and buffers, a gate.buffer payload
 * (docs/snapshot.md: LEB128 input, output and service counts, per service
 * u8 name length, name, LEB128 state length; then the input, output and
 * state bytes), which may be empty (buffers_len 0). The snapshot is final
 * (flags bit 0) unless the state's outcome is SUSPENDED. On success *out
 * owns the snapshot's bytes. On failure returns GATE_MALFORMED (bad state
 * or buffers), or a status of the encoder (GATE_INVALID_ARGUMENT: the
 * state does not fit the module; the module's decoding status;
 * GATE_UNSUPPORTED, GATE_LIMIT, GATE_OUT_OF_MEMORY), with a message, and
 * leaves *out untouched. Every buffer is lent for the call.
 */
GATE_API int gate_snapshot_new(const uint8_t *module, size_t module_len, const uint8_t *state,
			       size_t state_len, const uint8_t *buffers, size_t buffers_len,
			       gate_blob **out, char *err, size_t err_len);

/*
 * As gate_snapshot_new(), with the state in the memfd state_fd, which a
 * STATE request filled with state_len bytes (its OK reply's count): seals
 * it against writes, maps it and checks its size. Always closes state_fd.
 * GATE_IO when it cannot seal (the instance holds a writable mapping, or
 * the descriptor is not a memfd).
 */
GATE_API int gate_snapshot_new_fd(const uint8_t *module, size_t module_len, int32_t state_fd,
				  uint64_t state_len, const uint8_t *buffers, size_t buffers_len,
				  gate_blob **out, char *err, size_t err_len);

/*
 * Decodes and validates a snapshot (untrusted bytes; the codec's rules)
 * and gives what resuming it needs, little-endian: u32 flags (bit 0
 * final), u32 trap, i32 result, u64 monotonic, u32 length + the gate.buffer
 * payload (0: none), u32 length + the gate.stack payload (0: no stack). On
 * success *out owns those bytes; on failure returns GATE_MALFORMED (with a
 * message naming the section or frame), GATE_LIMIT or GATE_OUT_OF_MEMORY
 * and leaves *out untouched.
 */
GATE_API int gate_snapshot_open(const uint8_t *snapshot, size_t len, gate_blob **out, char *err,
				size_t err_len);

/*
 * gate_snapshot_open() and, for restoring it in an instance process, the
 * program module in *program (the snapshot without its gate sections and
 * without the data segments that hold memory: compile it, instantiate it,
 * then RESTORE and RESUME) and its memory in *memory_fd, a sealed memfd
 * for RESTORE (-1: the program has no memory; close it with
 * gate_fd_close()). On failure nothing is left to free.
 */
GATE_API int gate_snapshot_open_parts(const uint8_t *snapshot, size_t len, gate_blob **out,
				      gate_blob **program, int32_t *memory_fd, char *err,
				      size_t err_len);

/*
 * Describes a snapshot as JSON (native/snapshot/snapshot.h has the shape):
 * writes at most buf_len bytes into buf (not NUL-terminated) and returns
 * the full length, so a caller with too small a buffer calls again with a
 * larger one; a negated status (as gate_snapshot_open) on failure.
 */
GATE_API int64_t gate_snapshot_describe(const uint8_t *bytes, size_t len, char *buf,
					size_t buf_len, char *err, size_t err_len);

/*
 * Seam self-tests, used by tests/ffi_seam_test.ts to prove that buffers,
 * errors and nonblocking calls cross the FFI correctly.
 */

/* Returns the 64-bit FNV-1a hash of buf[0..len). */
GATE_API uint64_t gate_selftest_hash(const uint8_t *buf, size_t len);

/* Fails on purpose: returns status and writes "Self-test failure: " + detail
 * into err. */
GATE_API int gate_selftest_fail(int status, const char *detail, char *err, size_t err_len);

/* Sleeps for ms milliseconds on the calling thread and returns ms + 1; run as
 * a nonblocking FFI call to prove that its promise resolves. */
GATE_API uint32_t gate_selftest_sleep(uint32_t ms);

#endif
