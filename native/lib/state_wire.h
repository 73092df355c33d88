/*
 * The state wire: what an instance process sends for STATE (concatenated
 * STATE_DATA payloads), and what gate_snapshot_new() turns into a snapshot
 * together with the module. Native-internal: TypeScript treats it as
 * opaque bytes. docs/snapshot.md, "The state wire", has the layout:
 *
 *   u32 magic GATE_STATE_MAGIC      u32 trap      i32 result
 *   u64 monotonic                   u32 pages (memory 0; 0 without memory)
 *   runs: u64 offset, u64 length, length bytes ... ; a length of 0 ends them
 *   u32 nglobals, per global: u8 type, u64 bits (portable: funcref index or null)
 *   u32 ntables, per table: u8 type, u32 length, length x u32 (index, or
 *       GATE_STATE_NULL)
 *   u32 ndata, ndata x u8 dropped   u32 nelem, nelem x u8 dropped
 *   u32 stack length, gate.stack payload (0: no stack)
 *   u32 input length, input bytes: stdin the instance received (INPUT) and
 *       the program has not read yet (0 unless suspended)
 *   u32 host length, a gate.host entry (native/snapshot/host_state.h; 0:
 *       none, always 0 unless suspended)
 *
 * All integers little-endian, fixed width. Producer: native/executor/state.c
 * and instance.c; consumer: native/lib/snapshot_new.c.
 */
#ifndef GATE_LIB_STATE_WIRE_H
#define GATE_LIB_STATE_WIRE_H

/* "GST3": the layout's version 3 (2 had no host state, 1 no input) */
#define GATE_STATE_MAGIC 0x33545347u
#define GATE_STATE_NULL 0xffffffffu  /* a null table element */
#define GATE_STATE_HEAD 24           /* bytes from magic to pages */
#define GATE_STATE_RUN 16            /* bytes of a run's header */

#endif
