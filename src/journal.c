/* journal.c -- the crash journal and the quarantine it feeds.
 *
 * A host with a metadata cache keeps CACHE.journal beside it: a fixed-size
 * file, mapped shared, so that writing a record is a few stores into the
 * page cache (no system call, no fsync: a process killed by a signal
 * leaves its pages to the kernel, which writes them back).
 *
 *   header   64 bytes: magic "PKJRNL04", counts, the slots claimed (a
 *            bit each) and whether the table may hold a record
 *   slots    J_SLOTS x J_ENTRIES records: a slot per live host, claimed
 *            by a write lock (F_OFD_SETLK) on its first byte, held until
 *            pk_host_free() or the process's death, and by its bit in the
 *            header, cleared (atomically) by pk_host_free() in the
 *            process that claimed it (a forked child shares it)
 *   table    J_QUAR records: the plugins in quarantine, and those with
 *            a strike
 *
 * Before a call into plugin code a thread fills a free record of its
 * host's slot (state 1, "in a call"); after it, clears it.  A call made
 * inside another one (a factory building an instance whose type's
 * plugin is woken) marks the outer record state 2 until the inner ends,
 * so that only the innermost call of a thread counts.  At the next start
 * a slot whose lock can be taken has no live owner: its records still in
 * state 1 are calls the host died inside; each becomes a quarantine
 * record (the table and the header's bits are changed under a lock on
 * byte 0).  Only the slots whose bit is set are looked at (a host that
 * died leaves its bit set), and the table only when the header says it
 * may hold a record.  A start that finds no slot claimed and nothing in
 * quarantine (the usual case: the hosts before it ended cleanly) reads
 * the header only (open, pread, close: no mapping, no lock); the file is
 * mapped and a slot claimed at the host's first call into plugin code
 * (claim_late), so a start that calls none -- a listing, a discovery --
 * costs three system calls.
 *
 * With crash_signals (the host's option), handlers of the synchronous
 * fatal signals, installed while such a host's journal is open, store the
 * signal into the thread's innermost record, put the previous action back
 * and let it run: the next start names the signal.  Such a host's records
 * say so (J_ARMED), and an atexit handler marks the record of a thread
 * calling exit() inside a call (J_EXITED): a record of an armed host with
 * neither a signal nor an exit is an end from outside (SIGKILL, the OOM
 * killer, _exit): a strike (a table record of state J_Q_STRIKE, warned
 * of once), the second with the same files a quarantine.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mcache.h" /* pk__mc_is_cache */
#include "stages.h"

#define J_SLOTS 32
#define J_ENTRIES 8
#define J_QUAR 64

typedef struct jrec {
  uint32_t state;     /* slot: 0 free; 1 in a call; 2 outer;
                       * table: 0 free; 1 quarantine; 2 strike (J_Q_*) */
  uint32_t call;      /* the step: a pk_trace_event */
  int64_t since;      /* table: when the end was taken in */
  uint64_t key[4];    /* the plugin's files then (pk_plugin.fkey) */
  char plugin[128];   /* "ns:name" */
  int32_t sig;        /* the signal the host died of, when recorded */
  uint32_t flags;     /* J_ARMED, J_EXITED, J_TWICE, J_WARNED */
  char what[104];     /* a factory's type, or "" */
  char manifest[224]; /* its manifest path */
} jrec;
_Static_assert(sizeof(jrec) == 512, "journal records are 512 bytes");

enum { J_Q_QUAR = 1, J_Q_STRIKE = 2 }; /* a table record's state */
enum {
  J_ARMED = 1,  /* slot: the host had the crash handlers armed */
  J_EXITED = 2, /* slot: exit() was called inside the call */
  J_TWICE = 4,  /* quarantine: the second end without a crash signal */
  J_WARNED = 8  /* strike: a start has warned of it */
};

typedef struct jhead {
  char magic[8];
  uint32_t slots, entries, quar, rec_size;
  uint32_t live;     /* bit s: slot s claimed (its owner alive, or dead) */
  uint32_t quar_any; /* the table may hold a record */
  char pad[32];
} jhead;
/* The part of the header that says it is a journal (not changed in use). */
#define J_ID_SIZE offsetof(jhead, live)
_Static_assert(sizeof(jhead) == 64, "the journal header is 64 bytes");

#define J_SLOT_OFF(i) (sizeof(jhead) + (size_t)(i)*J_ENTRIES * sizeof(jrec))
#define J_QUAR_OFF J_SLOT_OFF(J_SLOTS)
#define J_SIZE (J_QUAR_OFF + J_QUAR * sizeof(jrec))

struct pk__journal {
  int fd;                /* -1 when not open (later, or failed) */
  char *map;             /* NULL when not mapped */
  int slot;              /* claimed slot, or -1 */
  bool later;            /* claim_late() maps it and claims a slot */
  pthread_mutex_t mu;    /* held by claim_late */
  pid_t owner;           /* the process that claimed it (not a fork) */
  unsigned used;         /* records of the slot in use (bits) */
  bool wrote;            /* a record was written (its slot's page) */
  jrec *prev[J_ENTRIES]; /* the call each record's call is inside */
  struct pk__journal *prev_j[J_ENTRIES]; /* and that call's journal */
  size_t path_size;      /* of the journal's path, after this struct */
};

/* The journal's path, kept after its struct (pk__journal_open). */
static char *j_path(struct pk__journal *J) { return (char *)(J + 1); }

static _Thread_local jrec *cur_rec; /* innermost journaled call here */
/* The journal of cur_rec (its host's cache path for say_fatal), kept when
 * host code steps aside: calls inside are cleared before it comes back. */
static _Thread_local struct pk__journal *cur_j;

/* ---- crash signals (pk_host_options.crash_signals) ---- */

static const int fatal_sigs[] = {SIGSEGV, SIGBUS,  SIGILL,
                                 SIGFPE,  SIGABRT, SIGSYS};
#define N_FATAL (sizeof fatal_sigs / sizeof *fatal_sigs)
static struct sigaction prev_act[N_FATAL]; /* the actions before ours */
static unsigned sig_users; /* open journals of hosts with the option */
static pthread_mutex_t sig_mu = PTHREAD_MUTEX_INITIALIZER;

/* The names strsignal() gives the fatal signals (it is not
 * async-signal-safe: it may read the locale). */
static const char *const fatal_names[N_FATAL] = {
    "Segmentation fault", "Bus error",       "Illegal instruction",
    "Floating point exception", "Aborted", "Bad system call"};

/* Appends s (at most the room left of end - *at) at *at. */
static void sig_put(char **at, char *end, const char *s, size_t cap)
{
  size_t n = strnlen(s, cap);
  if (n > (size_t)(end - *at))
    n = (size_t)(end - *at);
  memcpy(*at, s, n);
  *at += n;
}

/* Said on stderr, with write(2) only, when the host is to die of signal
 * sig (fatal_sigs[i]) inside the call of record r of journal J: the
 * plugin, the step and what the next starts do, in the words of their
 * quarantine warning (fail_quarantined), with the host's cache path (its
 * journal's, kept since the journal opened).  Cut at 1024 bytes, the
 * newline kept (the longest id and type a record holds fit; a long cache
 * path may not). */
static void say_fatal(struct pk__journal *J, const jrec *r, int sig,
                      size_t i)
{
  char line[1024], id[sizeof r->plugin], *at = line;
  char *end = line + sizeof line - 1; /* room for the newline */
  char digits[3] = {(char)('0' + sig / 10), (char)('0' + sig % 10), '\0'};
  memcpy(id, r->plugin, sizeof id);
  id[sizeof id - 1] = '\0';
  sig_put(&at, end, "plugkit: plugin ", 16);
  sig_put(&at, end, id, sizeof id);
  sig_put(&at, end, " crashed in its ", 16);
  sig_put(&at, end, pk_trace_event_describe((pk_trace_event)r->call), 64);
  if (r->what[0]) {
    sig_put(&at, end, " of ", 4);
    sig_put(&at, end, r->what, sizeof r->what);
  }
  sig_put(&at, end, ": signal ", 9);
  sig_put(&at, end, digits + (sig < 10), 2); /* signals 1 to 31 */
  sig_put(&at, end, " (", 2);
  sig_put(&at, end, fatal_names[i], 32);
  sig_put(&at, end, "); the host dies of it, and its next starts skip "
                    "the plugin (quarantine) until its files change, or "
                    "run `plugkit quarantine clear ", 200);
  sig_put(&at, end, id, sizeof id);
  sig_put(&at, end, " --cache ", 9);
  sig_put(&at, end, j_path(J), J->path_size - sizeof ".journal");
  sig_put(&at, end, "`", 1);
  *at++ = '\n';
  for (const char *p = line; p < at;) {
    ssize_t w = write(STDERR_FILENO, p, (size_t)(at - p));
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break;
    p += w;
  }
}

/* Whether the action act would end the process on a fatal signal: the
 * default (a handler the host installed may recover, and speaks for
 * itself). */
static bool ends_process(const struct sigaction *act)
{
  return !(act->sa_flags & SA_SIGINFO) && act->sa_handler == SIG_DFL;
}

/* Async-signal-safe only: a store into the thread's mapped record, a
 * line on stderr when the signal ends the host (say_fatal), then the
 * previous action back in place.  A fault the kernel raised (SIGSEGV,
 * SIGBUS, SIGILL, SIGFPE) happens again on return, now to that action;
 * any other (raise, abort, kill, seccomp's SIGSYS, after which the code
 * would go on) is raised again.  Either way the previous handler runs, or
 * the process dies of the signal as it would have without us (core dump
 * included). */
static void on_fatal(int sig, siginfo_t *si, void *uc)
{
  (void)uc;
  int saved = errno;
  jrec *r = cur_rec;
  if (r)
    __atomic_store_n(&r->sig, sig, __ATOMIC_RELAXED);
  for (size_t i = 0; i < N_FATAL; i++)
    if (fatal_sigs[i] == sig) {
      if (r && cur_j && ends_process(&prev_act[i]))
        say_fatal(cur_j, r, sig, i);
      sigaction(sig, &prev_act[i], NULL);
    }
  if (si->si_code <= 0 || sig == SIGABRT || sig == SIGSYS)
    raise(sig);
  errno = saved;
}

/* Registered with atexit() by the first host with crash_signals: a
 * thread calling exit() inside a journaled call (a plugin's code ending
 * the process) marks its record, so that the next start quarantines the
 * plugin at once, as for a crash signal. */
static void on_exit_call(void)
{
  jrec *r = cur_rec;
  if (r)
    __atomic_or_fetch(&r->flags, J_EXITED, __ATOMIC_RELAXED);
}

static void register_exit_mark(void) { atexit(on_exit_call); }

/* Counts a journal that wants the handlers (on) or no longer does; the
 * first installs them, the last puts the previous actions back (unless
 * the host replaced ours meanwhile).  The exit mark is registered once
 * per process. */
static void fatal_signals(bool on)
{
  static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
  if (on)
    pthread_once(&exit_once, register_exit_mark);
  pthread_mutex_lock(&sig_mu);
  if (on ? sig_users++ == 0 : --sig_users == 0)
    for (size_t i = 0; i < N_FATAL; i++) {
      struct sigaction sa = {.sa_sigaction = on_fatal,
                             .sa_flags = SA_SIGINFO | SA_ONSTACK |
                                         SA_NODEFER | SA_RESETHAND};
      sigemptyset(&sa.sa_mask);
      if (on)
        sigaction(fatal_sigs[i], &sa, &prev_act[i]);
      else if (sigaction(fatal_sigs[i], NULL, &sa) == 0 &&
               (sa.sa_flags & SA_SIGINFO) && sa.sa_sigaction == on_fatal)
        sigaction(fatal_sigs[i], &prev_act[i], NULL);
    }
  pthread_mutex_unlock(&sig_mu);
}

static jrec *slot_rec(struct pk__journal *J, int slot, int i)
{
  return (jrec *)(J->map + J_SLOT_OFF(slot)) + i;
}

static jrec *quar_rec(struct pk__journal *J, int i)
{
  return (jrec *)(J->map + J_QUAR_OFF) + i;
}

/* A write lock on byte off: wait (table) or try (slot). */
static bool lock_byte(int fd, off_t off, bool wait)
{
  struct flock fl = {
      .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = 1};
  while (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) != 0)
    if (errno != EINTR)
      return false;
  return true;
}

static void unlock_byte(int fd, off_t off)
{
  struct flock fl = {
      .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = 1};
  fcntl(fd, F_OFD_SETLK, &fl);
}

/* The bytes of cache's path that name its journal: at most
 * JOURNAL_PATH_MAX - sizeof ".journal" (a longer path: no file). */
#define JOURNAL_PATH_MAX 4200
static size_t journal_stem(const char *cache)
{
  return strnlen(cache, JOURNAL_PATH_MAX - sizeof ".journal");
}

/* cache + ".journal" into buf (journal_stem(cache) + sizeof ".journal"
 * bytes), without the printf code (pages a fresh process would touch on
 * every start for this alone). */
static void journal_path(const char *cache, char *buf)
{
  static const char ext[] = ".journal";
  size_t k = journal_stem(cache);
  memcpy(buf, cache, k);
  memcpy(buf + k, ext, sizeof ext);
}

/* A string of a record, bounded and NUL-ended whatever the file holds. */
static void rec_str(char *dst, size_t n, const char *src, size_t cap)
{
  size_t len = strnlen(src, cap);
  if (len >= n)
    len = n - 1;
  memcpy(dst, src, len);
  dst[len] = '\0';
}

/* The magic of a journal: its first 6 bytes say a plugkit crash journal,
 * the last 2 its format. */
#define J_MAGIC "PKJRNL04"
#define J_MAGIC_STEM 6

/* What the header of a journal of this format says before any use. */
static jhead j_want(void)
{
  return (jhead){.magic = J_MAGIC,
                 .slots = J_SLOTS,
                 .entries = J_ENTRIES,
                 .quar = J_QUAR,
                 .rec_size = sizeof(jrec)};
}

/* Opens and maps the journal at path.  A host's (host): made when
 * missing, remade when of another size or format (the host owns the
 * cache's path and its journal's, as it replaces a file of another format
 * at the cache's).  The quarantine's list and clear's (!host): never made
 * nor remade (a wrong path may lead to another program's file): the table
 * lock is taken before the file is looked at (a host makes a journal
 * under it) and kept on success; ENOENT also for an empty file (a host
 * about to make it), EBADMSG for a file that is not a journal of this
 * format.  errno on failure (then J->fd is -1 and J->map NULL). */
static int j_open(const char *path, bool host, struct pk__journal *J)
{
  J->map = NULL;
  J->fd = open(path,
               O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
                   (host ? O_CREAT : 0),
               0644);
  if (J->fd < 0)
    return errno;
  if (!host)
    lock_byte(J->fd, 0, true);
  struct stat sb;
  jhead hd, want = j_want();
  int e = 0;
  if (fstat(J->fd, &sb) != 0)
    e = errno;
  else if (!S_ISREG(sb.st_mode))
    e = host ? EINVAL : EBADMSG;
  else if (!host && sb.st_size == 0)
    e = ENOENT;
  else if (!host && ((size_t)sb.st_size != J_SIZE ||
                     pread(J->fd, &hd, sizeof hd, 0) != (ssize_t)sizeof hd ||
                     memcmp(&hd, &want, J_ID_SIZE)))
    e = EBADMSG;
  if (!e && (size_t)sb.st_size != J_SIZE) { /* new, or not ours: remade */
    lock_byte(J->fd, 0, true);
    if (fstat(J->fd, &sb) == 0 && (size_t)sb.st_size != J_SIZE &&
        (ftruncate(J->fd, 0) != 0 || ftruncate(J->fd, (off_t)J_SIZE) != 0 ||
         pwrite(J->fd, &want, sizeof want, 0) != (ssize_t)sizeof want))
      e = errno ? errno : EIO;
    unlock_byte(J->fd, 0);
  }
  if (!e) {
    J->map = mmap(NULL, J_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, J->fd, 0);
    if (J->map == MAP_FAILED) {
      e = errno;
      J->map = NULL;
    }
  }
  /* damaged, or another format of the same size (PKJRNL03's records
   * named their calls with numbers of their own): start over */
  if (!e && host && memcmp(J->map, &want, J_ID_SIZE)) {
    lock_byte(J->fd, 0, true);
    if (memcmp(J->map, &want, J_ID_SIZE)) {
      memset(J->map, 0, J_SIZE);
      memcpy(J->map, &want, sizeof want);
    }
    unlock_byte(J->fd, 0);
  }
  if (e) {
    if (J->map)
      munmap(J->map, J_SIZE);
    close(J->fd);
    J->fd = -1;
    J->map = NULL;
  }
  J->slot = -1;
  J->used = 0;
  J->wrote = false;
  return e;
}

static jhead *head_of(struct pk__journal *J) { return (jhead *)J->map; }

/* A start's look at the journal at path: true when it is one of this
 * format with no slot claimed and nothing in quarantine (nothing to take
 * in or apply); it is not kept open.  Anything else (no file, another
 * format, a FIFO: pread fails) is left to j_open. */
static bool j_quiet(const char *path)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return false;
  jhead hd, want = j_want();
  bool quiet = pread(fd, &hd, sizeof hd, 0) == (ssize_t)sizeof hd &&
               !memcmp(&hd, &want, J_ID_SIZE) && !hd.live && !hd.quar_any;
  close(fd);
  return quiet;
}

static void j_close(struct pk__journal *J)
{
  if (!J->map)
    return; /* never mapped (later), or failed */
  /* Only the claiming process empties its slot: a child forked from it
   * shares the slot (and its lock) with the parent, which may still die
   * inside a plugin and must then be taken in by the next start. */
  bool mine = J->slot >= 0 && J->owner == getpid();
  bool wrote = __atomic_load_n(&J->wrote, __ATOMIC_RELAXED);
  for (int i = 0; mine && wrote && i < J_ENTRIES; i++)
    slot_rec(J, J->slot, i)->state = 0; /* none in flight */
  if (mine) /* a clean exit: its slot needs no look (atomic: a store
             * other processes' changes do not undo) */
    __atomic_and_fetch(&head_of(J)->live, ~(1u << J->slot),
                       __ATOMIC_RELEASE);
  munmap(J->map, J_SIZE);
  close(J->fd); /* releases the slot's lock */
}

/* Under the table lock: the table record of r's plugin, or NULL. */
static jrec *table_rec_of(struct pk__journal *J, const jrec *r)
{
  for (int i = 0; i < J_QUAR; i++) {
    jrec *q = quar_rec(J, i);
    if (q->state && !strncmp(q->plugin, r->plugin, sizeof q->plugin))
      return q;
  }
  return NULL;
}

/* Under the table lock: puts r (a call a dead host was inside) into the
 * table as state (J_Q_QUAR or J_Q_STRIKE) with flags. */
static void put_table(struct pk__journal *J, const jrec *r, uint32_t state,
                      uint32_t flags)
{
  jrec *q = table_rec_of(J, r); /* the same plugin again: the newest end */
  for (int i = 0; !q && i < J_QUAR; i++)
    if (!quar_rec(J, i)->state)
      q = quar_rec(J, i);
  if (!q) { /* full: the oldest gives way */
    q = quar_rec(J, 0);
    for (int i = 1; i < J_QUAR; i++)
      if (quar_rec(J, i)->since < q->since)
        q = quar_rec(J, i);
  }
  *q = *r;
  q->plugin[sizeof q->plugin - 1] = q->what[sizeof q->what - 1] =
      q->manifest[sizeof q->manifest - 1] = '\0';
  q->since = (int64_t)time(NULL);
  q->state = state;
  q->flags = flags;
  head_of(J)->quar_any = 1;
}

/* Under the table lock: takes in r, a call a dead host was inside.  A
 * recorded signal or exit, or a host without the crash handlers armed
 * (the end is unknown), quarantines its plugin.  An armed host that
 * recorded nothing ended some other way (SIGKILL, the OOM killer,
 * _exit()): a strike; the second with the same files quarantines. */
static void take_in(struct pk__journal *J, const jrec *r)
{
  uint32_t f = r->flags;
  if (!(f & J_ARMED) || r->sig || (f & J_EXITED)) {
    put_table(J, r, J_Q_QUAR, f & J_EXITED);
    return;
  }
  jrec *q = table_rec_of(J, r);
  bool same = q && !memcmp(q->key, r->key, sizeof q->key);
  if (same && q->state == J_Q_STRIKE)
    put_table(J, r, J_Q_QUAR, J_TWICE);
  else if (!same)
    put_table(J, r, J_Q_STRIKE, 0);
  /* else: already in quarantine with these files */
}

/* Under the table lock: every claimed slot without a live owner is
 * emptied, its calls in flight quarantined, its bit cleared; with claim,
 * the first free slot becomes this journal's (its lock kept, its bit
 * set). */
static void take_in_dead(struct pk__journal *J, bool claim)
{
  jhead *hd = head_of(J);
  uint32_t live = __atomic_load_n(&hd->live, __ATOMIC_ACQUIRE);
  for (int s = 0; s < J_SLOTS; s++) {
    if (!(live & (1u << s)) ||
        !lock_byte(J->fd, (off_t)J_SLOT_OFF(s), false))
      continue; /* not claimed, or a live host's */
    bool used = false;
    for (int i = 0; i < J_ENTRIES; i++) {
      used |= slot_rec(J, s, i)->state != 0;
      if (slot_rec(J, s, i)->state == 1)
        take_in(J, slot_rec(J, s, i));
    }
    if (used)
      memset(slot_rec(J, s, 0), 0, J_ENTRIES * sizeof(jrec));
    __atomic_and_fetch(&hd->live, ~(1u << s), __ATOMIC_RELEASE);
    unlock_byte(J->fd, (off_t)J_SLOT_OFF(s));
  }
  live = __atomic_load_n(&hd->live, __ATOMIC_ACQUIRE);
  for (int s = 0; claim && s < J_SLOTS; s++)
    if (!(live & (1u << s)) &&
        lock_byte(J->fd, (off_t)J_SLOT_OFF(s), false)) {
      J->slot = s;
      J->owner = getpid();
      __atomic_or_fetch(&hd->live, 1u << s, __ATOMIC_RELEASE);
      return;
    }
}

/* "register hook", "factory of cache type \"s3\"" */
static void call_text(const jrec *q, char *buf, size_t n)
{
  char what[sizeof q->what];
  rec_str(what, sizeof what, q->what, sizeof q->what);
  const char *step = pk_trace_event_describe((pk_trace_event)q->call);
  snprintf(buf, n, what[0] ? "%s of %s" : "%s", step, what);
}

static void plugin_keys(pk_plugin *p)
{
  struct stat sb;
  memset(p->fkey, 0, sizeof p->fkey);
  if (stat(p->manifest_path, &sb) == 0) {
    p->fkey[0] = (uint64_t)sb.st_mtim.tv_sec * 1000000000u +
                 (uint64_t)sb.st_mtim.tv_nsec;
    p->fkey[1] = (uint64_t)sb.st_size;
  }
  if (p->library_path && stat(p->library_path, &sb) == 0) {
    p->fkey[2] = (uint64_t)sb.st_mtim.tv_sec * 1000000000u +
                 (uint64_t)sb.st_mtim.tv_nsec;
    p->fkey[3] = (uint64_t)sb.st_size;
  }
  p->fkey_set = true;
}

/* When table record q was taken in: "2026-12-06 12:00:00 UTC". */
static void since_text(const jrec *q, char *buf, size_t n)
{
  time_t t = (time_t)q->since;
  struct tm tm;
  buf[0] = '\0';
  if (gmtime_r(&t, &tm))
    strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* How the host ended in quarantine record q: for the warning (with when,
 * when it was found: "the host crashed in its register hook: signal 11
 * (Segmentation fault); found ...") or for pk_quarantined.cause (when
 * NULL: "crashed in its register hook: signal 11 (Segmentation fault)"). */
static void end_text(const jrec *q, const char *when, char *buf, size_t n)
{
  char call[200], found[100] = "";
  call_text(q, call, sizeof call);
  const char *host = when ? "the host " : "";
  if (when)
    snprintf(found, sizeof found, "; found %s", when);
  if (q->sig > 0 && q->sig < NSIG)
    snprintf(buf, n, "%scrashed in its %s: signal %d (%s)%s", host, call,
             (int)q->sig, strsignal((int)q->sig), found);
  else if (q->flags & J_EXITED)
    snprintf(buf, n, "%scalled exit() in its %s%s", when ? "its code " : "",
             call, found);
  else if (q->flags & J_TWICE)
    snprintf(buf, n,
             "%sended twice inside its %s without a crash signal (killed "
             "from outside?)%s",
             host, call, found);
  else if (when)
    snprintf(buf, n,
             "the host died inside its %s (a crash, a kill or an exit in its "
             "code; found %s)",
             call, when);
  else
    snprintf(buf, n, "died in its %s", call);
}

/* Fails p, found in quarantine record q with unchanged files. */
static void fail_quarantined(pk_host *h, pk_plugin *p, const jrec *q)
{
  char when[64], how[500];
  since_text(q, when, sizeof when);
  end_text(q, when, how, sizeof how);
  pk_error e;
  pk__fail(&e, PK_ETRUST,
           "plugin %s is in quarantine: %s; it is skipped until its "
           "files (%s%s%s) change, or run `plugkit quarantine clear %s "
           "--cache %s`",
           p->id, how, p->manifest_path, p->library_path ? ", " : "",
           p->library_path ? p->library_path : "", p->id, h->cache_path);
  pk__error_set_plugin(&e, p->id);
  pk__plugin_fail(p, PK_STATE_FAILED, &e);
  p->quarantined = true;
  pk__log(h, PK_LOG_WARN, p, "%s", e.message);
}

/* Under the table lock: warns, once, of strike record q of p. */
static void warn_strike(pk_host *h, pk_plugin *p, jrec *q)
{
  char call[200];
  call_text(q, call, sizeof call);
  pk__log(h, PK_LOG_WARN, p,
          "plugin %s: the host ended inside its %s without a crash signal "
          "(killed from outside?); not quarantined: a second such end with "
          "the same files quarantines it",
          p->id, call);
  q->flags |= J_WARNED;
}

/* Under the table lock: the discovered plugins in quarantine, and those
 * with a strike not yet warned of. */
static void apply_quarantine(pk_host *h, struct pk__journal *J)
{
  bool any = false;
  for (int i = 0; head_of(J)->quar_any && i < J_QUAR; i++) {
    jrec *q = quar_rec(J, i);
    char id[sizeof q->plugin];
    if (!q->state)
      continue;
    any = true;
    rec_str(id, sizeof id, q->plugin, sizeof q->plugin);
    pk_plugin *p = pk__map_get(&h->by_id, id, strlen(id));
    if (!p || p->builtin || p->state != PK_STATE_DISCOVERED)
      continue;
    plugin_keys(p);
    bool strike = q->state == J_Q_STRIKE;
    if (!memcmp(p->fkey, q->key, sizeof q->key)) {
      if (!strike)
        fail_quarantined(h, p, q);
      else if (!(q->flags & J_WARNED))
        warn_strike(h, p, q);
      continue;
    }
    pk__log(h, PK_LOG_INFO, p,
            strike ? "plugin %s: its files changed since the host ended "
                     "inside it without a crash signal; that end no longer "
                     "counts"
                   : "plugin %s leaves the quarantine: its files changed "
                     "since the host died inside it",
            p->id);
    memset(q, 0, sizeof *q);
  }
  head_of(J)->quar_any = any;
}

/* The journal of h cannot be opened (errno e): said at PK_LOG_DEBUG. */
static void not_journaled(pk_host *h, int e)
{
  pk__log(h, PK_LOG_DEBUG, NULL,
          "crash journal %s.journal: %s; calls into plugins are not "
          "journaled",
          h->cache_path, strerror(e));
}

void pk__journal_open(pk_host *h)
{
  if (!h->cache_path)
    return;
  /* its path kept after it, built once (not in a buffer of the limit on
   * the stack: the deepest frame of a start, fresh pages) */
  size_t ps = journal_stem(h->cache_path) + sizeof ".journal";
  struct pk__journal *J = pk__alloc_zero(&h->alloc, sizeof *J + ps);
  if (!J)
    return;
  J->path_size = ps;
  journal_path(h->cache_path, j_path(J));
  pthread_mutex_init(&J->mu, NULL);
  if (j_quiet(j_path(J))) { /* mapped and claimed at the first call */
    J->fd = -1;
    J->slot = -1;
    J->later = true;
    h->journal = J;
    if (h->crash_signals)
      fatal_signals(true);
    return;
  }
  int e = j_open(j_path(J), true, J);
  if (e) {
    not_journaled(h, e);
    pthread_mutex_destroy(&J->mu);
    pk__free(&h->alloc, J, sizeof *J + ps);
    return;
  }
  lock_byte(J->fd, 0, true);
  take_in_dead(J, true);
  apply_quarantine(h, J);
  unlock_byte(J->fd, 0);
  h->journal = J;
  if (h->crash_signals)
    fatal_signals(true);
}

/* The first call into plugin code of a host whose start found the journal
 * quiet (j_quiet): maps it and claims a slot now, taking in the hosts that
 * died meanwhile (their quarantine is the next start's).  Opened here, by
 * the process making the call: a process forked from the host before it
 * claimed a slot opens a file description of its own, so its slot's lock
 * is its own.  Once per host (under J->mu: any thread may call first). */
static void claim_late(pk_host *h, struct pk__journal *J)
{
  pthread_mutex_lock(&J->mu);
  if (__atomic_load_n(&J->later, __ATOMIC_ACQUIRE)) {
    int e = j_open(j_path(J), true, J);
    if (e)
      not_journaled(h, e);
    else {
      lock_byte(J->fd, 0, true);
      take_in_dead(J, true);
      unlock_byte(J->fd, 0);
    }
    __atomic_store_n(&J->later, false, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&J->mu);
}

void pk__journal_close(pk_host *h)
{
  if (!h->journal)
    return;
  if (h->crash_signals)
    fatal_signals(false);
  j_close(h->journal);
  pthread_mutex_destroy(&h->journal->mu);
  pk__free(&h->alloc, h->journal,
           sizeof *h->journal + h->journal->path_size);
  h->journal = NULL;
}

void *pk__journal_record(pk_host *h, pk_plugin *p, pk_trace_event step,
                         const char *kind, const char *tag)
{
  struct pk__journal *J = h->journal;
  if (!J || p->builtin || !p->library_path)
    return NULL; /* no code of its own */
  if (__atomic_load_n(&J->later, __ATOMIC_ACQUIRE))
    claim_late(h, J);
  if (J->slot < 0)
    return NULL;
  unsigned used = __atomic_load_n(&J->used, __ATOMIC_RELAXED);
  int i;
  do {
    for (i = 0; i < J_ENTRIES && (used & (1u << i)); i++)
      ;
    if (i == J_ENTRIES)
      return NULL; /* calls nested or in parallel beyond the slot */
  } while (!__atomic_compare_exchange_n(&J->used, &used, used | (1u << i),
                                        false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED));
  if (!p->fkey_set)
    plugin_keys(p); /* on its loading: the host's thread */
  if (!J->wrote)
    __atomic_store_n(&J->wrote, true, __ATOMIC_RELAXED);
  jrec *r = slot_rec(J, J->slot, i);
  r->call = (uint32_t)step;
  r->sig = 0;
  r->flags = h->crash_signals ? J_ARMED : 0;
  memcpy(r->key, p->fkey, sizeof r->key);
  pk__copy_str(r->plugin, sizeof r->plugin, p->id);
  if (kind)
    snprintf(r->what, sizeof r->what, "%s type \"%s\"", kind, tag);
  else
    r->what[0] = '\0';
  pk__copy_str(r->manifest, sizeof r->manifest, p->manifest_path);
  J->prev[i] = cur_rec;
  J->prev_j[i] = cur_j;
  if (cur_rec)
    __atomic_store_n(&cur_rec->state, 2, __ATOMIC_RELEASE);
  __atomic_store_n(&r->state, 1, __ATOMIC_RELEASE);
  cur_rec = r;
  cur_j = J;
  return r;
}

void pk__journal_clear(pk_host *h, void *token)
{
  struct pk__journal *J = h->journal;
  jrec *r = token;
  int i = (int)(r - slot_rec(J, J->slot, 0));
  __atomic_store_n(&r->state, 0, __ATOMIC_RELEASE);
  cur_rec = J->prev[i];
  cur_j = J->prev_j[i];
  if (cur_rec)
    __atomic_store_n(&cur_rec->state, 1, __ATOMIC_RELEASE);
  __atomic_and_fetch(&J->used, ~(1u << i), __ATOMIC_ACQ_REL);
}

/* ---- the public quarantine functions ---- */

/* What list and clear's errors say to pass. */
#define PASS_CACHE                                                             \
  "pass the metadata cache of the host (its pk_host_options.cache_path)"

/* list and clear's look at cache before its journal: PK_OK when it is a
 * metadata cache, or names nothing (*gone: its journal may remain, the
 * cache removed); otherwise PK_EIO naming it, so that a wrong path (a
 * directory, a manifest, the journal itself) reads neither as an empty
 * quarantine nor leads to a file beside it. */
static pk_status cache_check(const char *cache, bool *gone, pk_error *err)
{
  pk_pos at = {cache, 0, 0};
  *gone = false;
  int fd = open(cache, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && errno == ENOENT) {
    *gone = true;
    return PK_OK;
  }
  if (fd < 0)
    return pk__fail_at(err, PK_EIO, at, "%s; " PASS_CACHE, strerror(errno));
  struct stat sb = {.st_mode = 0}; /* "not a file" when fstat fails */
  char magic[J_MAGIC_STEM];
  bool file = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
  bool ok = file && pk__mc_is_cache(fd);
  bool journal = file && !ok &&
                 pread(fd, magic, sizeof magic, 0) == (ssize_t)sizeof magic &&
                 !memcmp(magic, J_MAGIC, sizeof magic);
  close(fd);
  size_t len = strlen(cache), ext = sizeof ".journal" - 1;
  if (ok)
    return PK_OK;
  if (!file)
    return pk__fail_at(err, PK_EIO, at,
                       "not a metadata cache (%s); " PASS_CACHE,
                       S_ISDIR(sb.st_mode) ? "a directory" : "not a file");
  if (journal && len > ext && !strcmp(cache + len - ext, ".journal"))
    return pk__fail_at(err, PK_EIO, at,
                       "a crash journal, not the metadata cache it is "
                       "beside: pass the cache, %.*s",
                       (int)(len - ext), cache);
  return pk__fail_at(err, PK_EIO, at,
                     "not a plugkit metadata cache; " PASS_CACHE);
}

/* Opens the journal of cache_path for list/clear and takes in dead
 * hosts, under the table lock.  1: no journal (*st PK_OK: nothing
 * quarantined), or *st says why not.  Nothing is changed before the
 * cache and the journal are found to be plugkit's. */
static int public_open(const char *fn, const char *cache_path,
                       struct pk__journal *J, pk_error *err, pk_status *st)
{
  *st = PK_OK;
  if (!cache_path || !*cache_path) {
    *st = pk__fail(err, PK_EMISUSE, "%s: no cache path", fn);
    return 1;
  }
  bool gone;
  if ((*st = cache_check(cache_path, &gone, err)) != PK_OK)
    return 1;
  char path[JOURNAL_PATH_MAX];
  journal_path(cache_path, path);
  pk_pos at = {path, 0, 0};
  int e = j_open(path, false, J);
  if (e == ENOENT && gone)
    *st = pk__fail_at(err, PK_ENOTFOUND, (pk_pos){cache_path, 0, 0},
                      "no such metadata cache, nor its crash journal: no "
                      "host has run with this cache yet, or the path is "
                      "wrong; " PASS_CACHE);
  else if (e == EBADMSG || e == EISDIR)
    *st = pk__fail_at(err, PK_EIO, at,
                      "not a plugkit crash journal of this version (another "
                      "format, or another file), left as it is: remove it "
                      "if it is an old plugkit's journal (a host's start "
                      "makes it anew), or " PASS_CACHE);
  else if (e && e != ENOENT)
    *st = pk__fail_at(err, PK_EIO, at,
                      "%s; it is the crash journal of the metadata cache %s",
                      strerror(e), cache_path);
  if (e)
    return 1;
  take_in_dead(J, false);
  return 0;
}

pk_status pk_quarantine_list(const char *cache_path, pk_quarantine_fn fn,
                             void *ud, pk_error *err)
{
  struct pk__journal J;
  pk_status st;
  if (!fn)
    return pk__fail(err, PK_EMISUSE, "pk_quarantine_list: fn is NULL");
  if (public_open("pk_quarantine_list", cache_path, &J, err, &st))
    return st;
  for (int i = 0; i < J_QUAR; i++) {
    const jrec *q = quar_rec(&J, i);
    if (q->state != J_Q_QUAR)
      continue; /* free, or a strike */
    char id[sizeof q->plugin], call[200], man[sizeof q->manifest],
        cause[400];
    rec_str(id, sizeof id, q->plugin, sizeof q->plugin);
    rec_str(man, sizeof man, q->manifest, sizeof q->manifest);
    call_text(q, call, sizeof call);
    end_text(q, NULL, cause, sizeof cause);
    pk_quarantined item = {id, call, man, q->since,
                           q->sig > 0 && q->sig < NSIG ? (int)q->sig : 0,
                           cause};
    fn(ud, &item);
  }
  unlock_byte(J.fd, 0);
  j_close(&J);
  return PK_OK;
}

pk_status pk_quarantine_clear(const char *cache_path, const char *plugin,
                              size_t *cleared, pk_error *err)
{
  struct pk__journal J;
  pk_status st;
  size_t n = 0;
  if (cleared)
    *cleared = 0;
  if (public_open("pk_quarantine_clear", cache_path, &J, err, &st))
    return st;
  for (int i = 0; i < J_QUAR; i++) {
    jrec *q = quar_rec(&J, i);
    if (q->state &&
        (!plugin || !strncmp(q->plugin, plugin, sizeof q->plugin))) {
      n++; /* a quarantine or a strike */
      memset(q, 0, sizeof *q);
    }
  }
  unlock_byte(J.fd, 0);
  j_close(&J);
  if (cleared)
    *cleared = n;
  return PK_OK;
}

/* ---- host code inside a plugin's call ---- */

/* The thread's innermost journaled call steps aside (its record state 2,
 * as under a nested call, and no longer the thread's: the crash handlers
 * and the exit mark see none) while host code runs; leaving puts it back.
 * A call into plugin code meanwhile is recorded with no call to return
 * to, so its clearing leaves the record aside.  A store into a record of
 * this thread's, no lock: any thread. */
void *pk_host_code_enter(void)
{
  jrec *r = cur_rec;
  if (r) {
    __atomic_store_n(&r->state, 2, __ATOMIC_RELEASE);
    cur_rec = NULL;
  }
  return r;
}

void pk_host_code_leave(void *token)
{
  jrec *r = token;
  if (!r)
    return;
  cur_rec = r;
  __atomic_store_n(&r->state, 1, __ATOMIC_RELEASE);
}
