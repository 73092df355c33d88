#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int gate__errorf(char *err, size_t err_len, int status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_len == 0)
		return status;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return status;
}

GATE_API const char *gate_status_name(int status)
{
	switch (status) {
#define GATE_ERROR(name, num, cls, desc) \
	case num:                        \
		return "GATE_" #name;
#include "../errors.def"
#undef GATE_ERROR
	}
	return NULL;
}
