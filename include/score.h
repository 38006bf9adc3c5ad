/*
 * NAME
 *	score - one scored event of an address, as the tracker keeps it and
 *	the state file stores it
 * SYNOPSIS
 *	#include "score.h"
 * DESCRIPTION
 *	A score in flight: the time of a hit and the score it added.  The
 *	tracker keeps at most SCORE_EVENTS of them per address (tracker.h
 *	says how they are merged); the state file keeps the same list across
 *	a restart (state.h).  The type lives here, below both, so that the
 *	state file does not know the tracker and the tracker does not know
 *	the state file.  A header only: there is no score.c.
 */
#ifndef MAILBAN_SCORE_H
#define MAILBAN_SCORE_H

#include <stdint.h>

#define SCORE_EVENTS 6

struct score_event {
	int64_t t; /* seconds */
	long score;
};

#endif
