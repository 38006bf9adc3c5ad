/*
 * NAME
 *	corpus.h - test input files: walk a directory, load its lines
 * DESCRIPTION
 *	corpus_walk(PATH, EXTS, FN, CTX) calls FN(CTX, FILE) for PATH, or, when
 *	PATH is a directory, for each of its files whose name ends in one of
 *	EXTS (a NULL-terminated list), in name order.
 *
 *	corpus_add(C, PATH, EXTS, NOTES) appends to C every line of those
 *	files, "< " taken off the corpus format's log lines; with NOTES 0 the
 *	format's comments ("#"), expectations ("> ") and blank lines are
 *	skipped.  Lines are read into a MAXLINE-byte buffer (the including
 *	file defines MAXLINE), so each fits the caller's own buffers.
 */
#ifndef MAILBAN_TEST_CORPUS_H
#define MAILBAN_TEST_CORPUS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

#ifndef MAXLINE
#error "define MAXLINE before including corpus.h"
#endif

struct corpus {
	char **line;
	size_t n, cap;
};

static const char *const corpus_logs[] = {".txt", ".log", NULL};

static inline int
corpus_ext(const char *name, const char *const *exts)
{
	size_t l = strlen(name), e;

	for (; *exts != NULL; exts++) {
		e = strlen(*exts);
		if (l > e && strcmp(name + l - e, *exts) == 0)
			return 1;
	}
	return 0;
}

static inline void
corpus_walk(const char *path, const char *const *exts,
    void (*fn)(void *, const char *), void *ctx)
{
	struct dirent **ents;
	struct stat sb;
	char p[4096];
	int k, n;

	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fn(ctx, path);
		return;
	}
	n = scandir(path, &ents, NULL, alphasort);
	for (k = 0; k < n; k++) {
		if (corpus_ext(ents[k]->d_name, exts)) {
			snprintf(p, sizeof(p), "%s/%s", path, ents[k]->d_name);
			fn(ctx, p);
		}
		free(ents[k]);
	}
	if (n >= 0)
		free(ents);
}

static inline void
corpus_push(struct corpus *c, const char *s)
{
	/* doubling: one realloc a line copied the whole array each time,
	 * which under ASan (no growth in place) took minutes */
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		c->line = xreallocarray(c->line, c->cap, sizeof(*c->line));
	}
	c->line[c->n++] = xstrdup(s);
}

struct corpus_load {
	struct corpus *c;
	int notes;
};

static inline void
corpus_load_file(void *ctx, const char *name)
{
	static char buf[MAXLINE];
	struct corpus_load *ld = ctx;
	FILE *fp = fopen(name, "r");

	if (fp == NULL) {
		perror(name);
		exit(2);
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		buf[strcspn(buf, ld->notes ? "\n" : "\r\n")] = '\0';
		if (!ld->notes &&
		    (buf[0] == '#' || buf[0] == '>' || buf[0] == '\0'))
			continue;
		corpus_push(ld->c, buf[0] == '<' && buf[1] == ' ' ? buf + 2 : buf);
	}
	fclose(fp);
}

static inline void
corpus_add(struct corpus *c, const char *path, const char *const *exts,
    int notes)
{
	struct corpus_load ld = {c, notes};

	corpus_walk(path, exts, corpus_load_file, &ld);
}

static inline void
corpus_free(struct corpus *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->line[i]);
	free(c->line);
	c->line = NULL;
	c->n = 0;
}

#endif
