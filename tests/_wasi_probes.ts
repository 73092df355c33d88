/**
 * Small WASI commands in WebAssembly text that report what a program sees,
 * for tests of `Program` and `gate call`.
 *
 * @module
 */

/** Prints the WASI filetype of fds 0, 1 and 2 as digits ("266\n"): 2 is a terminal, 6 a pipe. */
export const STDIO_FILETYPES = `(module
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $fd i32)
    (loop $next
      (drop (call $fdstat (local.get $fd) (i32.const 64)))
      (i32.store8 (i32.add (i32.const 32) (local.get $fd))
        (i32.add (i32.const 48) (i32.load8_u (i32.const 64))))
      (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $fd) (i32.const 3))))
    (i32.store8 (i32.const 35) (i32.const 10))
    (i32.store (i32.const 0) (i32.const 32))
    (i32.store (i32.const 4) (i32.const 4))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;

/** Prints its arguments, argv[0] included, one per line. */
export const PRINT_ARGS = `(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $at i32) (local $end i32)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $get (i32.const 1024) (i32.const 4096)))
    (local.set $at (i32.const 4096))
    (local.set $end (i32.add (i32.const 4096) (i32.load (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (if (i32.eqz (i32.load8_u (local.get $at)))
          (then (i32.store8 (local.get $at) (i32.const 10))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const 16) (i32.const 4096))
    (i32.store (i32.const 20) (i32.load (i32.const 4)))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))`;

/** Writes "x" to stdout, once or (export "forever") until it is stopped. */
export const WRITE_X = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\\08\\00\\00\\00\\01\\00\\00\\00x")
  (func $once (export "_start")
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12))))
  (func (export "forever") (loop $again (call $once) (br $again))))`;

/** Reads stdin to its end and exits with the number of bytes read. */
export const COUNT_STDIN = `(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $total i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 1024))
    (loop $next
      (if (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))
        (then (call $exit (i32.const 255))))
      (local.set $total (i32.add (local.get $total) (i32.load (i32.const 8))))
      (br_if $next (i32.load (i32.const 8))))
    (call $exit (local.get $total))))`;
