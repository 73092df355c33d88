;; hello: writes "Hello, world!" to standard output through WASI fd_write.
;; `make run` builds this with wat2wasm and inspects it; once execution lands
;; it runs in the sandbox.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "Hello, world!\n")
  (func $main (export "_start")
    ;; iovec at 0: { base = 16, len = 14 }
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 14))
    (call $proc_exit
      (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
