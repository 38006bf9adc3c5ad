/*
 * NAME
 *	cmd_journal - the systemd journal as "run --journal" and "test
 *	--journal" open it
 * DESCRIPTION
 *	The journal of --journal-directory DIR, or the system's.  When every
 *	rule of the trust setting names its users, only the entries of those
 *	users are read (an sd_journal match on _UID, the uid journald got
 *	from the kernel): the others could never be acted on, and reading
 *	them costs.  Which entries are acted on is still decided entry by
 *	entry by the trust rules (engine.h).
 */
#include <stdlib.h>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "sdjournal.h"

/* The users of the trust rules, when every rule names some: *uids
 * (the caller frees it), their number; 0 and NULL otherwise. */
static size_t
trust_uids(const struct config *cfg, int64_t **out)
{
	const struct trust *t = &cfg->trust;
	int64_t *uids = NULL;
	size_t i, k, m, n = 0, cap = 0;

	*out = NULL;
	if (t->n == 0)
		return 0;
	for (i = 0; i < t->n; i++)
		if (t->rules[i].nusers == 0)
			return 0;
	for (i = 0; i < t->n; i++) {
		for (k = 0; k < t->rules[i].nuids; k++) {
			for (m = 0; m < n && uids[m] != t->rules[i].uids[k]; m++)
				;
			if (m < n)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				uids = xreallocarray(uids, cap, sizeof(*uids));
			}
			uids[n++] = t->rules[i].uids[k];
		}
	}
	if (n == 0)
		/* no MTA user exists on this host: no entry can be acted on,
		 * but a match that keeps nothing would hide the untrusted ones */
		msg_warn("none of the users of the trust setting exists on this "
		    "host: no journal entry can be acted on");
	*out = uids;
	return n;
}

struct sdj *
cmd_open_journal(const struct cmdline *cl, const struct config *cfg,
    int follow)
{
	struct sdj_options o = {cl->journal_dir, NULL, 0, follow};
	int64_t *uids;
	struct sdj *j;
	char err[1024];

	o.nuids = trust_uids(cfg, &uids);
	o.uids = uids;
	j = sdj_open(&o, err, sizeof(err));
	free(uids);
	if (j == NULL)
		msg_fatal("%s", err);
	return j;
}

void
cmd_journal_users(struct sdj *j, const struct config *cfg)
{
	int64_t *uids;
	size_t n = trust_uids(cfg, &uids);

	sdj_set_users(j, uids, n);
	free(uids);
}
