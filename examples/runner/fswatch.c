/* fswatch.c -- a small portable layer over the system's file change
 * notification, for --watch: directories are watched (not files, so an
 * editor that writes a new file and renames it over the old one is seen,
 * as is a new file), and what is read is the paths that changed.
 *
 * Linux: inotify, each directory on its own (inotify is not recursive:
 * the caller adds the subdirectories, and a directory created later is
 * reported as such so the caller adds it and lists what it already
 * holds).  A queue overflow (IN_Q_OVERFLOW) loses events: it is reported,
 * and the caller treats everything as changed.  Elsewhere fswatch_new
 * fails with ENOSYS (a kqueue or FSEvents backend would go here).
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

#ifdef __linux__
#include <sys/inotify.h>

struct fswatch {
  int fd;
  char **dirs;             /* by watch descriptor: its directory */
  size_t ndirs;
};

fswatch *fswatch_new(void)
{
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0)
    return NULL;
  fswatch *w = xcalloc(1, sizeof *w);
  w->fd = fd;
  return w;
}

int fswatch_add(fswatch *w, const char *dir)
{
  /* a file written (closed after writing, or modified), made, renamed in
   * or out, removed; the directory itself removed or moved */
  uint32_t mask = IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_MOVED_TO |
                  IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF |
                  IN_MOVE_SELF | IN_ONLYDIR;
  int wd = inotify_add_watch(w->fd, dir, mask);
  if (wd < 0)
    return -1;
  if ((size_t)wd >= w->ndirs) {
    size_t n = (size_t)wd + 16;
    w->dirs = xrealloc(w->dirs, n * sizeof *w->dirs);
    memset(w->dirs + w->ndirs, 0, (n - w->ndirs) * sizeof *w->dirs);
    w->ndirs = n;
  }
  free(w->dirs[wd]);
  w->dirs[wd] = xstrdup(dir);
  return 0;
}

int fswatch_fd(const fswatch *w) { return w->fd; }

int fswatch_read(fswatch *w, strlist *changed, strlist *new_dirs,
                 bool *overflow)
{
  char ev[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    ssize_t n = read(w->fd, ev, sizeof ev);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return 0;
    if (n <= 0)
      return -1;
    for (char *p = ev; p < ev + n;) {
      const struct inotify_event *e = (const struct inotify_event *)p;
      p += sizeof *e + e->len;
      if (e->mask & IN_Q_OVERFLOW) {
        *overflow = true;
        continue;
      }
      const char *dir = e->wd >= 0 && (size_t)e->wd < w->ndirs
                            ? w->dirs[e->wd]
                            : NULL;
      if (!dir)
        continue;
      if (e->mask & IN_IGNORED) { /* the directory is gone */
        free(w->dirs[e->wd]);
        w->dirs[e->wd] = NULL;
        continue;
      }
      if (!e->len || (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF)))
        continue;
      char *path = strcmp(dir, ".") ? xconcat(dir, "/", e->name, NULL)
                                    : xstrdup(e->name);
      if ((e->mask & IN_ISDIR) && (e->mask & (IN_CREATE | IN_MOVED_TO)))
        strlist_take(new_dirs, path);
      else if (!(e->mask & IN_ISDIR))
        strlist_take(changed, path);
      else
        free(path);
    }
  }
}

void fswatch_free(fswatch *w)
{
  if (!w)
    return;
  close(w->fd);
  for (size_t i = 0; i < w->ndirs; i++)
    free(w->dirs[i]);
  free(w->dirs);
  free(w);
}

#else /* no backend */

struct fswatch {
  int unused;
};

fswatch *fswatch_new(void)
{
  errno = ENOSYS;
  return NULL;
}

int fswatch_add(fswatch *w, const char *dir)
{
  (void)w;
  (void)dir;
  errno = ENOSYS;
  return -1;
}

int fswatch_fd(const fswatch *w)
{
  (void)w;
  return -1;
}

int fswatch_read(fswatch *w, strlist *changed, strlist *new_dirs,
                 bool *overflow)
{
  (void)w;
  (void)changed;
  (void)new_dirs;
  (void)overflow;
  errno = ENOSYS;
  return -1;
}

void fswatch_free(fswatch *w) { (void)w; }

#endif
