/* fixture.h -- the collector shared by the test host and fixture plugins:
 * hooks append "what:ns:name" events.  Plugins never link libplugkit; this
 * header is plain C.
 * SPDX-License-Identifier: MIT */
#ifndef PK_FIXTURE_H
#define PK_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define FIXTURE_MAX_EVENTS 1024

typedef struct fixture_log {
  int n;
  char ev[FIXTURE_MAX_EVENTS][112];
} fixture_log;

static inline void fixture_record(void *collector, const char *what,
                                  const char *id, const char *extra)
{
  fixture_log *log = (fixture_log *)collector;
  if (!log || log->n >= FIXTURE_MAX_EVENTS)
    return;
  snprintf(log->ev[log->n++], sizeof log->ev[0], "%s:%s%s%s", what, id,
           extra ? ":" : "", extra ? extra : "");
}

/* Writes the caller's pid to the file $PK_TEST_PIDFILE names, if any: how
 * a test finds a process a fixture left running. */
static inline void fixture_write_pid(void)
{
  const char *f = getenv("PK_TEST_PIDFILE");
  FILE *out = f ? fopen(f, "w") : NULL;
  if (out) {
    fprintf(out, "%ld\n", (long)getpid());
    fclose(out);
  }
}

#endif
