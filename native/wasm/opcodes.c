/* Opcode table of the one-byte and 0xfc opcodes (see opcodes.h). */
#include "opcodes.h"

#define I32 GATE__I32
#define I64 GATE__I64
#define F32 GATE__F32
#define F64 GATE__F64
#define FREF GATE__FUNCREF

#define U(a, r) GATE__S(1, a, 0, 0, r)    /* unary */
#define B(a, r) GATE__S(2, a, a, 0, r)    /* binary */
#define X0(r) GATE__X(0, 0, 0, 0, r)      /* special, fixed types */
#define X1(a, r) GATE__X(1, a, 0, 0, r)
#define X3(a, r) GATE__X(3, a, a, a, r)
#define XV GATE__X(0, 0, 0, 0, 0)         /* special, types vary */

const struct gate__opinfo gate__ops[256] = {
	/* control, parametric, variable, table: types vary */
	[0x00 ... 0x05] = XV,
	[0x0b ... 0x11] = XV,
	[0x1a ... 0x1c] = XV,
	[0x20 ... 0x24] = XV,
	[0x25] = X1(I32, 0), /* table.get: pushes the table's type */
	[0x26] = XV,

	/* memory */
	[0x28] = GATE__LD(I32, 2), [0x29] = GATE__LD(I64, 3),
	[0x2a] = GATE__LD(F32, 2), [0x2b] = GATE__LD(F64, 3),
	[0x2c ... 0x2d] = GATE__LD(I32, 0), [0x2e ... 0x2f] = GATE__LD(I32, 1),
	[0x30 ... 0x31] = GATE__LD(I64, 0), [0x32 ... 0x33] = GATE__LD(I64, 1),
	[0x34 ... 0x35] = GATE__LD(I64, 2),
	[0x36] = GATE__ST(I32, 2), [0x37] = GATE__ST(I64, 3),
	[0x38] = GATE__ST(F32, 2), [0x39] = GATE__ST(F64, 3),
	[0x3a] = GATE__ST(I32, 0), [0x3b] = GATE__ST(I32, 1),
	[0x3c] = GATE__ST(I64, 0), [0x3d] = GATE__ST(I64, 1), [0x3e] = GATE__ST(I64, 2),
	[0x3f] = X0(I32),      /* memory.size */
	[0x40] = X1(I32, I32), /* memory.grow */

	/* constants */
	[0x41] = X0(I32), [0x42] = X0(I64), [0x43] = X0(F32), [0x44] = X0(F64),

	/* comparisons */
	[0x45] = U(I32, I32),
	[0x46 ... 0x4f] = B(I32, I32),
	[0x50] = U(I64, I32),
	[0x51 ... 0x5a] = B(I64, I32),
	[0x5b ... 0x60] = B(F32, I32),
	[0x61 ... 0x66] = B(F64, I32),

	/* arithmetic */
	[0x67 ... 0x69] = U(I32, I32),
	[0x6a ... 0x78] = B(I32, I32),
	[0x79 ... 0x7b] = U(I64, I64),
	[0x7c ... 0x8a] = B(I64, I64),
	[0x8b ... 0x91] = U(F32, F32),
	[0x92 ... 0x98] = B(F32, F32),
	[0x99 ... 0x9f] = U(F64, F64),
	[0xa0 ... 0xa6] = B(F64, F64),

	/* conversions */
	[0xa7] = U(I64, I32),
	[0xa8 ... 0xa9] = U(F32, I32),
	[0xaa ... 0xab] = U(F64, I32),
	[0xac ... 0xad] = U(I32, I64),
	[0xae ... 0xaf] = U(F32, I64),
	[0xb0 ... 0xb1] = U(F64, I64),
	[0xb2 ... 0xb3] = U(I32, F32),
	[0xb4 ... 0xb5] = U(I64, F32),
	[0xb6] = U(F64, F32),
	[0xb7 ... 0xb8] = U(I32, F64),
	[0xb9 ... 0xba] = U(I64, F64),
	[0xbb] = U(F32, F64),
	[0xbc] = U(F32, I32), [0xbd] = U(F64, I64),
	[0xbe] = U(I32, F32), [0xbf] = U(I64, F64),

	/* sign extension */
	[0xc0 ... 0xc1] = U(I32, I32),
	[0xc2 ... 0xc4] = U(I64, I64),

	/* reference types */
	[0xd0] = XV,             /* ref.null t */
	[0xd1] = XV,             /* ref.is_null */
	[0xd2] = X0(FREF),       /* ref.func */

	[0xfc] = XV, [0xfd] = XV, /* prefixes */
};

const struct gate__opinfo gate__ops_fc[GATE__FC_COUNT] = {
	/* non-trapping float-to-int */
	[0] = U(F32, I32), [1] = U(F32, I32), [2] = U(F64, I32), [3] = U(F64, I32),
	[4] = U(F32, I64), [5] = U(F32, I64), [6] = U(F64, I64), [7] = U(F64, I64),
	/* bulk memory and tables */
	[8] = X3(I32, 0),  /* memory.init */
	[9] = X0(0),       /* data.drop */
	[10] = X3(I32, 0), /* memory.copy */
	[11] = X3(I32, 0), /* memory.fill */
	[12] = X3(I32, 0), /* table.init */
	[13] = X0(0),      /* elem.drop */
	[14] = X3(I32, 0), /* table.copy */
	[15] = XV,         /* table.grow */
	[16] = X0(I32),    /* table.size */
	[17] = XV,         /* table.fill */
};
