/* report.c -- what the runner shows.  Each runnable has a transcript: the
 * runner's lines about it (stderr) and its command's output or the
 * replayed one (stdout), in the order they came; the scheduler prints a
 * transcript whole once the runnable ended, so outputs never mix.  A
 * thread working on a runnable is bound to it, and the runner's warnings
 * from that thread (its own and the plugins', through runner_warn) go into
 * the transcript.  Anything else is written at once ("live").  On a
 * terminal one progress line sits under the output; every write clears it
 * first and puts it back after.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

static pthread_mutex_t g_out = PTHREAD_MUTEX_INITIALIZER; /* stdout, stderr */
static _Thread_local runnable *t_bound;
static char *g_progress;       /* the progress line shown, or NULL */

/* ---- transcripts ---- */

void transcript_add(transcript *t, bool err, const char *data, size_t n)
{
  if (!n)
    return;
  buf_add(&t->b, data, n);
  if (t->nsegs && t->segs[t->nsegs - 1].err == err) {
    t->segs[t->nsegs - 1].end = t->b.n;
    return;
  }
  if (t->nsegs == t->scap) {
    t->scap = t->scap ? 2 * t->scap : 4;
    t->segs = xrealloc(t->segs, t->scap * sizeof *t->segs);
  }
  t->segs[t->nsegs++] = (struct segment){.end = t->b.n, .err = err};
}

static void transcript_vprintf(transcript *t, bool err, const char *fmt,
                               va_list ap)
{
  buf text = {0};
  buf_vprintf(&text, fmt, ap);
  transcript_add(t, err, text.p, text.n);
  buf_free(&text);
}

void transcript_free(transcript *t)
{
  buf_free(&t->b);
  free(t->segs);
  memset(t, 0, sizeof *t);
}

void say(runnable *r, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  transcript_printf(&r->log, true, "runner: %s: ", r->name);
  transcript_vprintf(&r->log, true, fmt, ap);
  transcript_add(&r->log, true, "\n", 1);
  va_end(ap);
}

void transcript_printf(transcript *t, bool err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  transcript_vprintf(t, err, fmt, ap);
  va_end(ap);
}

void report_bind(runnable *r) { t_bound = r; }

/* ---- writing ---- */

/* With g_out held: takes the progress line away, or puts it back. */
static void progress_hide(void)
{
  if (g_progress)
    write_all(2, "\r\033[K", 4);
}

static void progress_show(void)
{
  if (g_progress)
    write_all(2, g_progress, strlen(g_progress));
}

void report_live(const char *text, size_t n)
{
  pthread_mutex_lock(&g_out);
  fflush(stdout);
  progress_hide();
  write_all(2, text, n);
  progress_show();
  pthread_mutex_unlock(&g_out);
}

void report_err(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  if (t_bound) {
    transcript_vprintf(&t_bound->log, true, fmt, ap);
  } else {
    buf t = {0};
    buf_vprintf(&t, fmt, ap);
    report_live(t.p, t.n);
    buf_free(&t);
  }
  va_end(ap);
}

void runner_warn(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  transcript t = {0}, *to = t_bound ? &t_bound->log : &t;
  transcript_add(to, true, "runner: warning: ", 17);
  transcript_vprintf(to, true, fmt, ap);
  transcript_add(to, true, "\n", 1);
  if (!t_bound)
    report_live(t.b.p, t.b.n);
  transcript_free(&t);
  va_end(ap);
}

void report_print(const transcript *t)
{
  pthread_mutex_lock(&g_out);
  fflush(stdout);
  progress_hide();
  size_t start = 0;
  for (size_t i = 0; i < t->nsegs; i++) {
    write_all(t->segs[i].err ? 2 : 1, t->b.p + start,
              t->segs[i].end - start); /* a closed pipe: nothing to show */
    start = t->segs[i].end;
  }
  progress_show();
  pthread_mutex_unlock(&g_out);
}

void report_progress(const char *line)
{
  pthread_mutex_lock(&g_out);
  progress_hide();
  free(g_progress);
  g_progress = line ? xstrdup(line) : NULL;
  progress_show();
  pthread_mutex_unlock(&g_out);
}
