/*
 * vm: a small stack-machine interpreter, a switch in a loop. The program
 * runs a counted loop that hashes its counter into two accumulators, about
 * 22 dispatches per iteration. Measures indirect branches from the switch
 * and loads and stores to the operand stack.
 */
#include "kernel.h"

enum op { HALT, PUSH, LOAD, STORE, ADD, SUB, MUL, XOR, AND, SHR, DUP, JNZ };

struct insn {
	u32 op;
	i32 arg;
};

static const struct insn program[] = {
    {LOAD, 1}, {PUSH, 31},  {MUL, 0},   {LOAD, 0},   {XOR, 0},   {DUP, 0},    {PUSH, 13},
    {SHR, 0},  {XOR, 0},    {STORE, 1}, {LOAD, 2},   {LOAD, 0},  {PUSH, 255}, {AND, 0},
    {ADD, 0},  {STORE, 2},  {LOAD, 0},  {PUSH, 1},   {SUB, 0},   {DUP, 0},    {STORE, 0},
    {JNZ, 0},  {LOAD, 1},   {LOAD, 2},  {ADD, 0},    {HALT, 0},
};

static u32 execute(const struct insn *code, u32 *regs) {
	u32 stack[64];
	u32 sp = 0, pc = 0;
	for (;;) {
		struct insn in = code[pc++];
		switch (in.op) {
		case HALT:
			return sp ? stack[sp - 1] : 0;
		case PUSH:
			stack[sp++] = (u32)in.arg;
			break;
		case LOAD:
			stack[sp++] = regs[in.arg];
			break;
		case STORE:
			regs[in.arg] = stack[--sp];
			break;
		case ADD:
			sp--;
			stack[sp - 1] += stack[sp];
			break;
		case SUB:
			sp--;
			stack[sp - 1] -= stack[sp];
			break;
		case MUL:
			sp--;
			stack[sp - 1] *= stack[sp];
			break;
		case XOR:
			sp--;
			stack[sp - 1] ^= stack[sp];
			break;
		case AND:
			sp--;
			stack[sp - 1] &= stack[sp];
			break;
		case SHR:
			sp--;
			stack[sp - 1] >>= stack[sp] & 31;
			break;
		case DUP:
			stack[sp] = stack[sp - 1];
			sp++;
			break;
		case JNZ:
			if (stack[--sp])
				pc = (u32)in.arg;
			break;
		default:
			return 0xdeadu; /* bad opcode: no correct run gets here */
		}
	}
}

u32 run(u32 n) {
	u32 regs[3] = {n, 1, 0};
	return execute(program, regs);
}
