;; A small script with one command of each kind the runner treats differently;
;; run_spec_test.ts counts on its exact results.
(module (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 1))
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_malformed (module quote "(func") "unexpected token")
(assert_malformed (module binary "\00asm" "\02\00\00\00") "unknown binary version")
(assert_unlinkable (module (import "spectest" "nothing" (func))) "unknown import")
(register "sample")
