/*
 * libFuzzer target for the line path: the input is split into lines and
 * each goes through prefix parsing, the default patterns, address
 * validation and the tracker, exactly as in "mailban test".
 * Build: meson setup build-fuzz -Dfuzz=true (with CC=clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config *cfg;
static struct engine en; /* kept across inputs: its tables are bounded */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	char err[512];

	if (cfg == NULL) {
		cfg = config_load(NULL, NULL, 0, err, sizeof(err));
		if (cfg == NULL)
			msg_fatal("%s", err);
		engine_init(&en, cfg, 1795780800, 0, NULL);
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		engine_line(&en, p, (size_t)(nl - p), 0);
		p = nl + 1;
	}
	return 0;
}
