/*
 * NAME
 *	test_kset - kernel test of src/kset.c and src/firewall.c (run by
 *	test/kernel/kset.sh)
 * SYNOPSIS
 *	test_kset ensure|bulk|flush|vanish|full|zero
 *	test_kset setup port|drop|print
 *	test_kset bench COUNT
 * DESCRIPTION
 *	Each phase works on its own sets (mbe*, mbt*, mbv*, mbf*, mbz*, mbs*) and
 *	checks what it can through the kset interface; the script checks the
 *	rest with ipset(8) and iptables(8).  Must run as root inside a network
 *	namespace made for it: it creates sets and firewall rules.
 *
 *	bench is no test: it times kset_commit() of COUNT distinct IPv4
 *	addresses (policy drop, set mbb4) and prints the result.
 *
 *	Exit status 0 on success, 1 on a failed check, 2 on usage errors.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "firewall.h"
#include "kset.h"
#include "log.h"

static int failures;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n",       \
			    __FILE__, __LINE__, #cond);                    \
			failures++;                                        \
		}                                                          \
	} while (0)

static void
mkcfg(struct config *c, enum policy p, const char *prefix, uint32_t maxelem)
{
	memset(c, 0, sizeof(*c));
	c->path = "(test)";
	c->policy = p;
	c->ports[0] = 25;
	c->ports[1] = 587;
	c->nports = 2;
	xsnprintf(c->set4, sizeof(c->set4), "%s4", prefix);
	xsnprintf(c->set6, sizeof(c->set6), "%s6", prefix);
	c->maxelem = maxelem;
}

/* i-th test address: 198.18.0.0/15 for IPv4, 2001:db8::/64 for IPv6. */
static struct addr
v4(unsigned i)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.family = ADDR_V4;
	a.bytes[0] = 198;
	a.bytes[1] = (uint8_t)(18 + (i >> 16));
	a.bytes[2] = (uint8_t)(i >> 8);
	a.bytes[3] = (uint8_t)i;
	return a;
}

static struct addr
v6(unsigned i)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.family = ADDR_V6;
	a.bytes[0] = 0x20;
	a.bytes[1] = 0x01;
	a.bytes[2] = 0x0d;
	a.bytes[3] = 0xb8;
	a.bytes[12] = (uint8_t)(i >> 24);
	a.bytes[13] = (uint8_t)(i >> 16);
	a.bytes[14] = (uint8_t)(i >> 8);
	a.bytes[15] = (uint8_t)i;
	return a;
}

static struct addr
parse(const char *text)
{
	struct addr a;

	if (addr_parse(text, strlen(text), &a) < 0)
		msg_fatal("bad test address %s", text);
	return a;
}

static struct kset *
open_ks(const struct config *cfg)
{
	char err[512];
	struct kset *ks = kset_open(cfg, err, sizeof(err));

	if (ks == NULL)
		msg_fatal("kset_open: %s", err);
	return ks;
}

/* Run a command (not through a shell); its exit status. */
static int
run(char *const argv[])
{
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) < 0)
		msg_fatal("fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		msg_fatal("waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void
phase_ensure(void)
{
	struct config port, drop, wrong, fam, size;
	struct kset *ks;
	char err[1024];

	mkcfg(&port, POLICY_PORT, "mbe", 65536);
	ks = open_ks(&port);
	CHECK(kset_ensure(ks, err, sizeof(err)) == 0);
	CHECK(kset_ensure(ks, err, sizeof(err)) == 0); /* idempotent */
	kset_close(ks);

	mkcfg(&drop, POLICY_DROP, "mbd", 65536);
	ks = open_ks(&drop);
	CHECK(kset_ensure(ks, err, sizeof(err)) == 0);
	kset_close(ks);

	/* Policy port over the hash:net sets made for policy drop. */
	mkcfg(&wrong, POLICY_PORT, "mbd", 65536);
	ks = open_ks(&wrong);
	err[0] = '\0';
	CHECK(kset_ensure(ks, err, sizeof(err)) == -1);
	fprintf(stderr, "expected refusal: %s\n", err);
	CHECK(strstr(err, "mbd4") != NULL);
	CHECK(strstr(err, "type hash:net family") != NULL);
	CHECK(strstr(err, "hash:net,port") != NULL);
	kset_close(ks);

	/* The IPv6 set given as the IPv4 one. */
	mkcfg(&fam, POLICY_PORT, "mbe", 65536);
	xsnprintf(fam.set4, sizeof(fam.set4), "mbe6");
	ks = open_ks(&fam);
	err[0] = '\0';
	CHECK(kset_ensure(ks, err, sizeof(err)) == -1);
	fprintf(stderr, "expected refusal: %s\n", err);
	CHECK(strstr(err, "mbe6") != NULL);
	CHECK(strstr(err, "inet6") != NULL);
	kset_close(ks);

	/* Same type, other maxelem. */
	mkcfg(&size, POLICY_PORT, "mbe", 1000);
	ks = open_ks(&size);
	err[0] = '\0';
	CHECK(kset_ensure(ks, err, sizeof(err)) == -1);
	fprintf(stderr, "expected refusal: %s\n", err);
	CHECK(strstr(err, "other parameters") != NULL);
	kset_close(ks);
}

static void
phase_bulk(void)
{
	struct config cfg;
	struct kset *ks;
	struct addr a;
	unsigned i;
	char err[1024];

	mkcfg(&cfg, POLICY_PORT, "mbt", 65536);
	ks = open_ks(&cfg);
	CHECK(kset_ensure(ks, err, sizeof(err)) == 0);
	for (i = 0; i < 1000; i++) {
		a = v4(i);
		kset_queue_add(ks, &a, 3600);
		a = v6(i);
		kset_queue_add(ks, &a, 3600);
	}
	a = parse("192.0.2.1");
	kset_queue_add(ks, &a, 5000000); /* capped at KSET_MAX_TIMEOUT */
	CHECK(kset_pending(ks) == 2 * 2001);
	CHECK(kset_commit(ks) == 0);
	CHECK(kset_pending(ks) == 0);
	CHECK(kset_dropped(ks) == 0);
	for (i = 0; i < 1000; i += 111) {
		a = v4(i);
		CHECK(kset_test(ks, &a) == 1);
		a = v6(i);
		CHECK(kset_test(ks, &a) == 1);
	}
	a = parse("192.0.2.1");
	CHECK(kset_test(ks, &a) == 1);
	a = parse("192.0.2.2");
	CHECK(kset_test(ks, &a) == 0);
	a = parse("2001:db8:1::1");
	CHECK(kset_test(ks, &a) == 0);

	/* del: every port of the address goes. */
	a = v4(5);
	CHECK(kset_del(ks, &a) == 0);
	CHECK(kset_test(ks, &a) == 0);
	a = v6(7);
	CHECK(kset_del(ks, &a) == 0);
	CHECK(kset_test(ks, &a) == 0);
	/* Deleting what is not there is no error. */
	CHECK(kset_del(ks, &a) == 0);
	/* del also forgets queued entries of the address. */
	a = parse("192.0.2.9");
	kset_queue_add(ks, &a, 60);
	CHECK(kset_del(ks, &a) == 0);
	CHECK(kset_pending(ks) == 0);
	CHECK(kset_test(ks, &a) == 0);
	kset_close(ks);
}

static void
phase_flush(void)
{
	struct config cfg;
	struct kset *ks;
	struct addr a;

	mkcfg(&cfg, POLICY_PORT, "mbt", 65536);
	ks = open_ks(&cfg);
	a = v4(1);
	CHECK(kset_test(ks, &a) == 1);
	kset_queue_add(ks, &a, 60);
	CHECK(kset_flush(ks) == 0);
	CHECK(kset_pending(ks) == 0);
	CHECK(kset_test(ks, &a) == 0);
	a = v6(1);
	CHECK(kset_test(ks, &a) == 0);
	kset_close(ks);
}

static void
phase_vanish(void)
{
	char *destroy4[] = {"ipset", "destroy", "mbv4", NULL};
	char *destroy6[] = {"ipset", "destroy", "mbv6", NULL};
	struct config cfg;
	struct kset *ks;
	struct addr a;
	unsigned i;
	unsigned long w;
	char err[1024];

	mkcfg(&cfg, POLICY_DROP, "mbv", 65536);
	ks = open_ks(&cfg);
	/* No kset_ensure(): the first commit creates the missing sets. */
	for (i = 0; i < 300; i++) {
		a = v4(i);
		kset_queue_add(ks, &a, 600);
	}
	a = v6(1);
	kset_queue_add(ks, &a, 600);
	CHECK(kset_commit(ks) == 0);
	CHECK(kset_recreated(ks) == 2);
	a = v4(0);
	CHECK(kset_test(ks, &a) == 1);

	CHECK(kset_ensure(ks, err, sizeof(err)) == 0);
	CHECK(run(destroy4) == 0); /* behind kset's back */
	for (i = 1000; i < 1300; i++) {
		a = v4(i);
		kset_queue_add(ks, &a, 600);
	}
	a = v6(2);
	kset_queue_add(ks, &a, 600);
	w = msg_warn_count();
	CHECK(kset_commit(ks) == 0);
	CHECK(msg_warn_count() > w); /* the re-creation is reported */
	CHECK(kset_recreated(ks) == 3);
	CHECK(kset_pending(ks) == 0);
	for (i = 1000; i < 1300; i++) {
		a = v4(i);
		CHECK(kset_test(ks, &a) == 1);
	}
	a = v4(0); /* committed before the destroy: gone with the set */
	CHECK(kset_test(ks, &a) == 0);
	a = v6(1);
	CHECK(kset_test(ks, &a) == 1);

	/* The IPv6 set vanishes between the IPv4 and the IPv6 batch. */
	CHECK(run(destroy6) == 0);
	a = v6(3);
	kset_queue_add(ks, &a, 600);
	CHECK(kset_commit(ks) == 0);
	CHECK(kset_test(ks, &a) == 1);
	kset_close(ks);
}

static void
phase_full(void)
{
	struct config cfg;
	struct kset *ks;
	struct addr a;
	unsigned i;
	unsigned long w;
	char err[1024];

	mkcfg(&cfg, POLICY_DROP, "mbf", 8);
	ks = open_ks(&cfg);
	CHECK(kset_ensure(ks, err, sizeof(err)) == 0);
	for (i = 0; i < 20; i++) {
		a = v4(i);
		kset_queue_add(ks, &a, 600);
	}
	w = msg_warn_count();
	CHECK(kset_commit(ks) == -1);
	CHECK(kset_dropped(ks) == 12);
	CHECK(kset_pending(ks) == 0);
	CHECK(msg_warn_count() - w >= 12);
	for (i = 0; i < 20; i++) {
		a = v4(i);
		CHECK(kset_test(ks, &a) == (i < 8));
	}
	/* A full set does not stop the other family. */
	w = msg_warn_count();
	a = v6(1);
	kset_queue_add(ks, &a, 600);
	CHECK(kset_commit(ks) == 0);
	CHECK(msg_warn_count() == w);
	CHECK(kset_test(ks, &a) == 1);
	kset_close(ks);
}

/*
 * The kernel refuses a prefix longer than its family (/33, /129; never
 * made by mailban, built here by hand) one element at a time: put them in
 * the middle of later pages and check that exactly they are dropped and
 * everything after them still lands (the lineno -> entry mapping).
 */
static void
phase_zero(void)
{
	static const unsigned bad[] = {130, 131, 400, 999};
	struct config cfg;
	struct kset *ks;
	struct addr a, zero4, zero6;
	unsigned i, j;
	char err[1024];

	zero4 = parse("192.0.2.0");
	zero4.plen = 33;
	zero6 = parse("2001:db8::");
	zero6.plen = 129;
	mkcfg(&cfg, POLICY_PORT, "mbz", 65536);
	ks = open_ks(&cfg);
	CHECK(kset_ensure(ks, err, sizeof(err)) == 0);
	for (i = 0, j = 0; i < 1000; i++) {
		if (j < sizeof(bad) / sizeof(bad[0]) && bad[j] == i) {
			kset_queue_add(ks, &zero4, 60);
			kset_queue_add(ks, &zero6, 60);
			j++;
		}
		a = v4(i);
		kset_queue_add(ks, &a, 60);
		a = v6(i);
		kset_queue_add(ks, &a, 60);
	}
	CHECK(kset_commit(ks) == -1);
	/* 4 times 2 ports, both families. */
	CHECK(kset_dropped(ks) == 16);
	CHECK(kset_pending(ks) == 0);
	for (i = 0; i < 1000; i++) {
		a = v4(i);
		CHECK(kset_test(ks, &a) == 1);
		a = v6(i);
		CHECK(kset_test(ks, &a) == 1);
	}
	kset_close(ks);
}

/* What "mailban setup" does: the chain, the sets, the rules. */
static int
phase_setup(const char *how)
{
	struct config cfg;
	struct firewall *fw;
	struct kset *ks;
	char err[1024];
	int rc;

	if (strcmp(how, "port") == 0 || strcmp(how, "print") == 0)
		mkcfg(&cfg, POLICY_PORT, "mbs", 65536);
	else if (strcmp(how, "drop") == 0)
		mkcfg(&cfg, POLICY_DROP, "mbs", 65536);
	else
		return 2;
	if (strcmp(how, "print") == 0)
		return firewall_print(&cfg, stdout) == 0 ? 0 : 1;
	ks = open_ks(&cfg);
	if ((fw = firewall_open(&cfg, err, sizeof(err))) == NULL)
		msg_fatal("firewall_open: %s", err);
	rc = firewall_setup(fw, ks) == 0 ? 0 : 1;
	firewall_close(fw);
	kset_close(ks);
	return rc;
}

static int
phase_bench(const char *count)
{
	struct config cfg;
	struct kset *ks;
	struct addr a;
	struct timespec t0, t1;
	char err[1024], *end;
	unsigned long n, i;
	int rc;

	n = strtoul(count, &end, 10);
	if (*count == '\0' || *end != '\0' || n == 0 || n > (1ul << 20))
		return 2;
	mkcfg(&cfg, POLICY_DROP, "mbb", 1u << 20);
	ks = open_ks(&cfg);
	if (kset_ensure(ks, err, sizeof(err)) < 0)
		msg_fatal("%s", err);
	for (i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		a.family = ADDR_V4;
		a.bytes[0] = 10;
		a.bytes[1] = (uint8_t)(i >> 16);
		a.bytes[2] = (uint8_t)(i >> 8);
		a.bytes[3] = (uint8_t)i;
		kset_queue_add(ks, &a, 3600);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = kset_commit(ks);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("kset_commit of %lu IPv4 entries: %.3f s (rc %d)\n", n,
	    (double)(t1.tv_sec - t0.tv_sec) +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e9, rc);
	kset_close(ks);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	msg_set_progname("test_kset");
	if (argc == 2 && strcmp(argv[1], "ensure") == 0)
		phase_ensure();
	else if (argc == 2 && strcmp(argv[1], "bulk") == 0)
		phase_bulk();
	else if (argc == 2 && strcmp(argv[1], "flush") == 0)
		phase_flush();
	else if (argc == 2 && strcmp(argv[1], "vanish") == 0)
		phase_vanish();
	else if (argc == 2 && strcmp(argv[1], "full") == 0)
		phase_full();
	else if (argc == 2 && strcmp(argv[1], "zero") == 0)
		phase_zero();
	else if (argc == 3 && strcmp(argv[1], "setup") == 0)
		return phase_setup(argv[2]);
	else if (argc == 3 && strcmp(argv[1], "bench") == 0)
		return phase_bench(argv[2]);
	else {
		fprintf(stderr, "usage: test_kset ensure|bulk|flush|vanish|"
		    "full|zero | setup port|drop|print | bench COUNT\n");
		return 2;
	}
	if (failures > 0)
		fprintf(stderr, "test_kset %s: %d check(s) failed\n", argv[1],
		    failures);
	return failures > 0 ? 1 : 0;
}
