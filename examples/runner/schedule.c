/* schedule.c -- runs a plan on a fixed pool of worker threads.
 *
 * A runnable is ready once each of its upstreams ended; ready runnables
 * start in plan order as workers come free.  One whose strict upstream did
 * not succeed is skipped without a worker.  After a failure, by default
 * (fail-fast) nothing more starts and the running ones are waited for;
 * with --keep-going everything that does not depend on the failure still
 * runs.  Ctrl-C (SIGINT), SIGTERM or SIGHUP: nothing more starts, every
 * worker stops its command (execute.c), nothing half-done is stored.
 *
 * Each runnable's transcript is printed whole, in plan order, as soon as
 * it and every runnable before it ended -- the output is the same whatever
 * the timing -- by the worker that ended the last of them.  The main
 * thread waits for the workers and the stop signals (blocked in the
 * workers, so they reach it; a worker that blocks polls stop_fd(); SIGPIPE
 * is blocked there too: a write to a gone supervisor is EPIPE), and on
 * a terminal keeps a progress line (done/total and the running ones)
 * under the output.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "runner.h"

typedef struct sched {
  plan *pl;
  const run_env *x;
  pthread_mutex_t mu;      /* guards what follows and every state */
  pthread_cond_t cv;       /* a runnable became ready, or halt */
  runnable **heap;         /* ready, a min-heap by plan position */
  size_t nheap;
  runnable **active;       /* per worker: what it runs, or NULL */
  size_t running;
  size_t ended;            /* runnables in a final state */
  size_t live;             /* workers not yet out */
  bool halt;               /* start nothing more */
  bool progress;           /* a progress line is shown */
  size_t printed;          /* plan.order[0 .. printed) are printed */
  int wake[2];             /* a worker -> the main thread */
} sched;

/* ---- the ready heap ---- */

static void heap_push(sched *s, runnable *r)
{
  size_t i = s->nheap++;
  while (i > 0 && s->heap[(i - 1) / 2]->pos > r->pos) {
    s->heap[i] = s->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  s->heap[i] = r;
}

static runnable *heap_pop(sched *s)
{
  runnable *top = s->heap[0], *last = s->heap[--s->nheap];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= s->nheap)
      break;
    if (c + 1 < s->nheap && s->heap[c + 1]->pos < s->heap[c]->pos)
      c++;
    if (s->heap[c]->pos >= last->pos)
      break;
    s->heap[i] = s->heap[c];
    i = c;
  }
  if (s->nheap)
    s->heap[i] = last;
  return top;
}

/* ---- state changes (s->mu held) ---- */

static void ended(sched *s, runnable *r, int state);

/* r's upstreams all ended: ready, or skipped when a strict one did not
 * succeed. */
static void upstreams_ended(sched *s, runnable *r)
{
  for (size_t i = 0; i < r->nups; i++)
    if (r->strict[i] && r->ups[i]->in_run && r->ups[i]->state != OK) {
      say(r, "skipped (%s did not succeed)", r->ups[i]->name);
      ended(s, r, SKIPPED);
      return;
    }
  heap_push(s, r);
}

static void ended(sched *s, runnable *r, int state)
{
  r->state = state;
  s->ended++;
  if ((state == FAILED && !s->x->o->keep_going) || state == STOPPED)
    s->halt = true;
  for (size_t i = 0; i < r->ndowns; i++)
    if (--r->downs[i]->waiting == 0)
      upstreams_ended(s, r->downs[i]);
}

static void wake_main(sched *s)
{
  if (write(s->wake[1], "w", 1) < 0) {
    /* full: the main thread has a wake-up pending anyway */
  }
}

/* Prints the transcripts from s->printed on while their runnables ended
 * (s->mu held: one printer at a time, in order). */
static void print_ended(sched *s)
{
  while (s->printed < s->pl->n &&
         s->pl->order[s->printed]->state != PENDING) {
    runnable *r = s->pl->order[s->printed++];
    report_print(&r->log);
    transcript_free(&r->log);
  }
}

/* ---- the workers ---- */

typedef struct worker_arg {
  sched *s;
  int id; /* from 1 */
} worker_arg;

static void *worker(void *arg)
{
  worker_arg *w = arg;
  sched *s = w->s;
  char track[32];
  snprintf(track, sizeof track, "worker %d", w->id);
  trace_track(w->id, track);
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (!s->halt && !s->nheap && s->running)
      pthread_cond_wait(&s->cv, &s->mu);
    if (s->halt || !s->nheap)
      break; /* halted, or nothing ready nor running: the end */
    runnable *r = heap_pop(s);
    s->running++;
    s->active[w->id - 1] = r;
    pthread_mutex_unlock(&s->mu);
    if (s->progress)
      wake_main(s); /* the progress line shows it */
    report_bind(r);
    run_env x = *s->x;
    x.worker = w->id;
    int state = execute_one(r, &x);
    report_bind(NULL);
    pthread_mutex_lock(&s->mu);
    s->active[w->id - 1] = NULL;
    s->running--;
    ended(s, r, state);
    pthread_cond_broadcast(&s->cv);
    print_ended(s);
    if (s->progress)
      wake_main(s);
  }
  pthread_mutex_unlock(&s->mu);
  child_thread_end();
  pthread_mutex_lock(&s->mu);
  s->live--;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  wake_main(s);
  return NULL;
}

/* ---- the main thread ---- */

/* The progress line: "runner: [DONE/TOTAL, N running] NAME, NAME, ..."
 * cut to the terminal's width (s->mu held). */
static char *progress_line(sched *s, int width)
{
  buf t = {0};
  buf_printf(&t, "runner: [%zu/%zu, %zu running]", s->ended, s->pl->n,
             s->running);
  for (int i = 0; i < s->x->o->workers; i++)
    if (s->active[i])
      buf_printf(&t, "%s%s", t.p[t.n - 1] == ']' ? " " : ", ",
                 s->active[i]->name);
  if (width > 4 && t.n > (size_t)width - 1) {
    t.n = (size_t)width - 4;
    buf_add(&t, "...", 3);
  }
  return buf_str(&t);
}

static int terminal_width(void)
{
  struct winsize ws;
  return ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
}

/* Waits for the workers, keeping the progress line; a stop signal
 * halts. */
static void watch(sched *s)
{
  struct pollfd fds[2] = {{.fd = s->wake[0], .events = POLLIN},
                          {.fd = stop_fd(), .events = POLLIN}};
  for (;;) {
    pthread_mutex_lock(&s->mu);
    size_t live = s->live;
    char *line = live && s->progress ? progress_line(s, terminal_width())
                                     : NULL;
    pthread_mutex_unlock(&s->mu);
    if (!live)
      break;
    if (line)
      report_progress(line);
    free(line);
    if (poll(fds, 2, -1) < 0 && errno != EINTR)
      break;
    char drain[256];
    while (read(s->wake[0], drain, sizeof drain) > 0)
      ;
    if (stop_signal() && fds[1].fd >= 0) {
      pthread_mutex_lock(&s->mu);
      s->halt = true;
      pthread_cond_broadcast(&s->cv);
      pthread_mutex_unlock(&s->mu);
      fds[1].fd = -1; /* stays readable */
    }
  }
  report_progress(NULL);
}

/* After the workers: what never started is skipped (a strict upstream did
 * not succeed) or not run; the count of those. */
static size_t settle(sched *s)
{
  size_t not_run = 0;
  for (size_t i = 0; i < s->pl->n; i++) {
    runnable *r = s->pl->order[i];
    if (r->state != PENDING)
      continue;
    size_t k = 0;
    while (k < r->nups &&
           !(r->strict[k] && r->ups[k]->in_run && r->ups[k]->state != OK))
      k++;
    if (k < r->nups) {
      say(r, "skipped (%s did not succeed)", r->ups[k]->name);
      r->state = SKIPPED;
    } else {
      r->state = NOT_RUN;
      not_run++;
    }
  }
  return not_run;
}

static bool progress_wanted(void)
{
  const char *term = getenv("TERM");
  return isatty(2) && !(term && !strcmp(term, "dumb"));
}

int schedule(plan *pl, project *p, const run_options *o)
{
  run_env x = {.p = p, .o = o,
               .lock_dir = xasprintf("%s/locks", p->state_dir)};
  if (mkdir_p(x.lock_dir) != 0)
    runner_warn("cannot make %s: %s; running unlocked", x.lock_dir,
                strerror(errno));
  inputs_open(p->state_dir);
  sched s = {.pl = pl, .x = &x, .progress = progress_wanted()};
  pthread_mutex_init(&s.mu, NULL);
  pthread_cond_init(&s.cv, NULL);
  s.heap = xcalloc(pl->n, sizeof *s.heap);
  s.active = xcalloc((size_t)o->workers, sizeof *s.active);
  if (pipe2(s.wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    fprintf(stderr, "runner: cannot make a pipe: %s\n", strerror(errno));
    exit(3);
  }
  /* the graph downwards among what runs (an upstream left out is not
   * waited for), and what is ready at once */
  for (size_t i = 0; i < pl->n; i++) {
    runnable *r = pl->order[i];
    r->pos = i;
    r->state = PENDING;
    r->misconfigured = false;
    r->ndowns = 0;
  }
  for (size_t i = 0; i < pl->n; i++) {
    runnable *r = pl->order[i];
    r->waiting = 0;
    for (size_t k = 0; k < r->nups; k++) {
      runnable *u = r->ups[k];
      if (!u->in_run)
        continue;
      r->waiting++;
      u->downs = xrealloc(u->downs, (u->ndowns + 1) * sizeof *u->downs);
      u->downs[u->ndowns++] = r;
    }
  }
  for (size_t i = 0; i < pl->n; i++)
    if (!pl->order[i]->waiting)
      upstreams_ended(&s, pl->order[i]);

  stop_signals_install();
  sigset_t stops, old;
  sigemptyset(&stops);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGHUP);
  sigaddset(&stops, SIGPIPE); /* a gone supervisor: EPIPE, in the worker */
  pthread_sigmask(SIG_BLOCK, &stops, &old); /* the workers inherit it */
  pthread_t *th = xcalloc((size_t)o->workers, sizeof *th);
  worker_arg *args = xcalloc((size_t)o->workers, sizeof *args);
  s.live = (size_t)o->workers;
  for (int i = 0; i < o->workers; i++) {
    args[i] = (worker_arg){&s, i + 1};
    int e = pthread_create(&th[i], NULL, worker, &args[i]);
    if (e != 0) {
      fprintf(stderr, "runner: cannot start a worker thread: %s\n",
              strerror(e));
      exit(3);
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  watch(&s);
  for (int i = 0; i < o->workers; i++)
    pthread_join(th[i], NULL);

  size_t not_run = settle(&s), failed = 0, misconfigured = 0;
  runnable *first = NULL;
  for (size_t i = 0; i < pl->n; i++) {
    runnable *r = pl->order[i];
    report_print(&r->log);
    transcript_free(&r->log);
    failed += r->state != OK;
    misconfigured += r->misconfigured;
    if (!first && (r->state == FAILED || r->state == STOPPED))
      first = r;
  }
  if (not_run && !stop_signal())
    fprintf(stderr, "runner: %zu not run: %s failed (--keep-going runs "
            "what does not depend on it)\n", not_run,
            first ? first->name : "a runnable");
  else if (not_run)
    fprintf(stderr, "runner: %zu not run: stopped by signal %d\n", not_run,
            stop_signal());
  inputs_close();
  free(th);
  free(args);
  free(s.heap);
  free(s.active);
  close(s.wake[0]);
  close(s.wake[1]);
  pthread_cond_destroy(&s.cv);
  pthread_mutex_destroy(&s.mu);
  free(x.lock_dir);
  /* a cache that cannot be built is a problem of runner.toml or of a
   * plugin (2), even found only as a runnable that uses it was to run */
  return misconfigured ? 2 : failed ? 1 : 0;
}
