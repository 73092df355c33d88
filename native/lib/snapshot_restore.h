/*
 * The parts of a snapshot that Program.restore() sends apart
 * (snapshot_restore.c): libgate-internal.
 */
#ifndef GATE_LIB_SNAPSHOT_RESTORE_H
#define GATE_LIB_SNAPSHOT_RESTORE_H

#include <stddef.h>
#include <stdint.h>

struct gate__smem_segs;

/*
 * The program module of a valid snapshot snap[0..len): the snapshot without
 * its gate sections and without the data segments that hold memory (the
 * data section keeps the program's ndata segments, the data count says
 * ndata). *out is malloc'd. GATE_MALFORMED or GATE_OUT_OF_MEMORY with a
 * message.
 */
int gate__snapshot_program(const uint8_t *snap, size_t len, uint32_t ndata, uint8_t **out,
			   size_t *out_len, char *err, size_t err_len);

/*
 * A sealed memfd for RESTORE: the snapshot's memory segments (in order,
 * apart: the decoder checked) in the state wire's run format (u64 offset,
 * u64 length, bytes; a (0, 0) header ends them), then u32 host_len and
 * host[0..host_len), the gate.host entry (0: none). -1 in *fd when there is
 * neither memory nor host state. GATE_IO with a message.
 */
int gate__snapshot_memory_fd(const struct gate__smem_segs *segs, const uint8_t *host,
			     uint32_t host_len, int32_t *fd, char *err, size_t err_len);

#endif
