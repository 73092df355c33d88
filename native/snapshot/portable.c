/* Portable execution state (portable.h). */
#include <stdlib.h>

#include "portable.h"

void gate_pstack_clear(struct gate_pstack *st)
{
	if (st == NULL)
		return;
	for (uint32_t i = 0; i < st->nframes; i++)
		free(st->frames[i].values);
	free(st->frames);
	st->frames = NULL;
	st->nframes = 0;
}
