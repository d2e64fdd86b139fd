/* trace.c -- `--trace FILE`: the run as Chrome trace-event JSON, which
 * Perfetto (ui.perfetto.dev) and chrome://tracing open.  One track per
 * thread: "main" (set-up, planning, plugin loads) and "worker N"; each
 * runnable is a complete event ("ph":"X") on its worker's track, with its
 * result in args, and the steps inside it (lock, hashing, cache get and
 * set, a remote fetch or store, the command) nested under it; plugin loads
 * come from plugkit's trace callback.  Times are microseconds from the
 * start of the run on the monotonic clock.  Events are kept in memory and
 * written at the end.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static buf g_events;           /* ",\n{...}" each */
static char *g_path;           /* NULL: not tracing */
static uint64_t g_t0;
static _Thread_local int t_track;

static uint64_t mono_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void trace_open(const char *path)
{
  g_path = path ? xstrdup(path) : NULL;
  g_t0 = path ? mono_us() : 0;
}

bool trace_on(void) { return g_path != NULL; }

uint64_t trace_now(void) { return trace_on() ? mono_us() - g_t0 : 0; }

void trace_track(int track, const char *name)
{
  t_track = track;
  if (!trace_on())
    return;
  pthread_mutex_lock(&g_mu);
  buf_printf(&g_events, ",\n{\"ph\":\"M\",\"name\":\"thread_name\","
             "\"pid\":1,\"tid\":%d,\"args\":{\"name\":", track);
  buf_json(&g_events, name);
  buf_add(&g_events, "}}", 2);
  pthread_mutex_unlock(&g_mu);
}

void trace_span(const char *name, const char *cat, uint64_t start,
                const char *result)
{
  if (!trace_on())
    return;
  uint64_t end = trace_now();
  pthread_mutex_lock(&g_mu);
  buf_printf(&g_events, ",\n{\"ph\":\"X\",\"pid\":1,\"tid\":%d,"
             "\"ts\":%llu,\"dur\":%llu,\"cat\":\"%s\",\"name\":", t_track,
             (unsigned long long)start, (unsigned long long)(end - start),
             cat);
  buf_json(&g_events, name);
  if (result) {
    buf_printf(&g_events, ",\"args\":{\"result\":");
    buf_json(&g_events, result);
    buf_add(&g_events, "}", 1);
  }
  buf_add(&g_events, "}", 1);
  pthread_mutex_unlock(&g_mu);
}

int trace_close(void)
{
  if (!trace_on())
    return 0;
  buf doc = {0};
  buf_printf(&doc, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n{\"ph\":"
             "\"M\",\"name\":\"process_name\",\"pid\":1,\"args\":{\"name\":"
             "\"runner\"}}");
  buf_add(&doc, g_events.p ? g_events.p : "", g_events.n);
  buf_printf(&doc, "\n]}\n");
  int rc = file_write_atomic(g_path, doc.p, doc.n, 0644);
  if (rc != 0)
    report_err("runner: --trace %s: %s: the trace is not written\n", g_path,
               strerror(errno));
  buf_free(&doc);
  buf_free(&g_events);
  free(g_path);
  g_path = NULL;
  return rc;
}
