/*
 * NAME
 *	trust - which writers count as each MTA
 * DESCRIPTION
 *	See include/trust.h.  Called only for lines a pattern matched, so
 *	that the line path pays nothing for the others.
 */
#include <stdlib.h>
#include <string.h>

#include "memfind.h"
#include "trust.h"

/*
 * Executables that pass on other processes' lines with the writer's uid
 * and their own pid: journald forwards a line to the syslog socket with
 * its own pid once the writer has exited.  Their executable says nothing
 * about the writer.
 */
static const char *const forwarders[] = {
	"/usr/lib/systemd/systemd-journald",
	"/lib/systemd/systemd-journald",
	NULL,
};

/* The writer's executable is known (not empty, not a forwarder's). */
static int
exe_known(const struct logcred *c)
{
	size_t i;

	if (c->exelen == 0)
		return 0;
	for (i = 0; forwarders[i] != NULL; i++)
		if (c->exelen == strlen(forwarders[i]) &&
		    memcmp(c->exe, forwarders[i], c->exelen) == 0)
			return 0;
	return 1;
}

const struct trust_rule *
trust_rule_for(const struct trust *t, const char *prog, size_t proglen)
{
	size_t i, j;

	for (i = 0; i < t->n; i++)
		for (j = 0; j < t->rules[i].nprogs; j++)
			if (memfind_glob(t->rules[i].progs[j], prog, proglen, 0))
				return &t->rules[i];
	return NULL;
}

int
trust_line(const struct trust *t, const struct logline *ll)
{
	const struct logcred *c = &ll->cred;
	const struct trust_rule *r;
	size_t i;
	int ok;

	if (!c->has)
		return !t->require;
	r = trust_rule_for(t, ll->prog, ll->proglen);
	if (r == NULL)
		return 0;
	if (r->nusers > 0) {
		ok = 0;
		for (i = 0; i < r->nuids && !ok; i++)
			ok = c->uid >= 0 && c->uid == r->uids[i];
		if (!ok)
			return 0;
	}
	if (r->nunits > 0 && c->unit_known) {
		if (c->unitlen == 0)
			return 0;
		ok = 0;
		for (i = 0; i < r->nunits && !ok; i++)
			ok = memfind_glob(r->units[i], c->unit, c->unitlen, 0);
		if (!ok)
			return 0;
	}
	if (r->nexe > 0) {
		/*
		 * A writer that exited before the daemon read /proc has no
		 * executable (a zombie has none): its uid, which the kernel
		 * gave with the message, then decides alone, and only when
		 * the rule names users.
		 */
		if (!exe_known(c))
			return r->nusers > 0;
		/* a NUL inside the name is no path the kernel would give */
		if (memchr(c->exe, '\0', c->exelen) != NULL)
			return 0;
		ok = 0;
		for (i = 0; i < r->nexe && !ok; i++)
			ok = memfind_glob(r->exe[i], c->exe, c->exelen, 1);
		if (!ok)
			return 0;
	}
	return 1;
}

void
trust_free(struct trust *t)
{
	size_t i, j;

	for (i = 0; i < t->n; i++) {
		for (j = 0; j < t->rules[i].nprogs; j++)
			free(t->rules[i].progs[j]);
		for (j = 0; j < t->rules[i].nexe; j++)
			free(t->rules[i].exe[j]);
		for (j = 0; j < t->rules[i].nunits; j++)
			free(t->rules[i].units[j]);
		for (j = 0; j < t->rules[i].nunknown; j++)
			free(t->rules[i].unknown[j]);
	}
	t->n = 0;
}
