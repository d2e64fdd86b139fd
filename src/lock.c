/* lock.c -- pins: the lock file (TOML) listing each plugin's manifest and
 * shared object with their SHA-256 (sha256.c); writing it, reading the
 * one in force (pk_host_options.lock_file, PLUGKIT_LOCK) at discovery,
 * checking a plugin against it when it is loaded, and comparing every
 * discovered plugin with it (`plugkit lock --check`).  Files are hashed
 * only when a lock is in force or asked for: a plugin's two files when it
 * is loaded (a lazy one when it is woken), every plugin's by the write
 * and the check.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

#define LOCK_VERSION 1

typedef struct lent {
  const char *id;
  const char *file[2], *sha[2]; /* manifest, library (NULL: none) */
  pk_pos pos, file_pos[2], sha_pos[2];
  bool builtin;
  bool seen; /* scratch of the check */
} lent;

struct pk__lock {
  char *path;
  pk_doc *doc; /* owns the strings */
  lent *e;
  size_t n;
  pk__map by_id; /* id -> lent */
};

static const char *const file_key[2] = {"manifest", "library"};
static const char *const sha_key[2] = {"manifest_sha256", "library_sha256"};

static void lock_free(const pk__allocator *a, struct pk__lock *L)
{
  if (!L)
    return;
  pk__map_free(a, &L->by_id);
  pk__free(a, L->e, L->n * sizeof *L->e);
  pk_doc_free(L->doc);
  pk__strfree(a, L->path);
  pk__free(a, L, sizeof *L);
}

static bool is_sha(const char *s)
{
  size_t i = 0;
  for (; s[i]; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return i == 64;
}

/* Refuses a key of table not among keys (n of them). */
static pk_status known_keys(const pk_value *table, const char *const *keys,
                            size_t n, const char *what, pk_error *err)
{
  for (size_t i = 0; i < pk_table_count(table); i++) {
    const char *k = pk_table_key_at(table, i, NULL);
    bool ok = false;
    for (size_t j = 0; j < n && !ok; j++)
      ok = !strcmp(k, keys[j]);
    if (!ok) {
      const char *near = pk__closest(k, keys, n);
      return pk__fail_at(err, PK_ECONFIG, pk_table_key_pos_at(table, i),
                         "unknown key \"%s\" in %s%s%s%s; a lock file is "
                         "written by `plugkit lock`",
                         k, what, near ? " (did you mean \"" : "",
                         near ? near : "", near ? "\"?)" : "");
    }
  }
  return PK_OK;
}

static pk_status read_entry(const pk_value *t, lent *e, pk_error *err)
{
  static const char *const keys[] = {"id",       "builtin",
                                     "manifest", "manifest_sha256",
                                     "library",  "library_sha256"};
  pk_status st = known_keys(t, keys, 6, "a [[plugin]] of a lock file", err);
  if (st == PK_OK)
    st = pk_table_get_string(t, "id", &e->id, err);
  if (st == PK_OK)
    st = pk_table_get_bool_or(t, "builtin", false, &e->builtin, err);
  e->pos = pk_value_get_pos(t);
  for (int f = 0; f < 2 && st == PK_OK && !e->builtin; f++) {
    const pk_value *fv = pk_table_get(t, file_key[f]);
    const pk_value *sv = pk_table_get(t, sha_key[f]);
    if (f == 1 && !fv && !sv)
      break; /* a data-only plugin */
    st = pk_table_get_string(t, file_key[f], &e->file[f], err);
    if (st == PK_OK)
      st = pk_table_get_string(t, sha_key[f], &e->sha[f], err);
    if (st != PK_OK)
      break;
    e->file_pos[f] = pk_value_get_pos(fv);
    e->sha_pos[f] = pk_value_get_pos(sv);
    if (!is_sha(e->sha[f]))
      st = pk__fail_at(err, PK_ECONFIG, e->sha_pos[f],
                       "%s of %s is not a SHA-256 (64 lower-case hex "
                       "digits); write the lock file again with `plugkit "
                       "lock`",
                       sha_key[f], e->id);
  }
  return st;
}

/* Reads the lock file at path. */
static pk_status lock_read(const pk__allocator *a, const char *path,
                           struct pk__lock **out, pk_error *err)
{
  struct pk__lock *L = pk__alloc_zero(a, sizeof *L);
  if (!L || !(L->path = pk__strdup(a, path))) {
    pk__free(a, L, sizeof *L);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  pk_doc_options o = {.size = sizeof o, .alloc = a->fn, .alloc_ud = a->ud};
  pk_status st = pk_doc_load_file(path, &o, &L->doc, err);
  if ((st == PK_EIO || st == PK_ENOTFOUND) && err &&
      strlen(err->message) < sizeof err->message - 64)
    strcat(err->message, "; a lock file is written by `plugkit lock`");
  const pk_value *root = st == PK_OK ? pk_doc_root(L->doc) : NULL;
  const pk_value *list = NULL;
  int64_t version = 0;
  static const char *const keys[] = {"version", "plugin"};
  if (st == PK_OK)
    st = known_keys(root, keys, 2, "a lock file", err);
  if (st == PK_OK)
    st = pk_table_get_integer(root, "version", &version, err);
  if (st == PK_OK && version != LOCK_VERSION)
    st = pk__fail_at(err, PK_ECONFIG,
                     pk_value_get_pos(pk_table_get(root, "version")),
                     "lock file version %lld is not one this plugkit reads "
                     "(%d); write it again with `plugkit lock`",
                     (long long)version, LOCK_VERSION);
  if (st == PK_OK && pk_table_get(root, "plugin"))
    st = pk_table_get_array(root, "plugin", &list, err);
  size_t n = list ? pk_array_count(list) : 0;
  if (st == PK_OK && n && !(L->e = pk__alloc_zero(a, n * sizeof *L->e)))
    st = pk__fail(err, PK_ENOMEM, "out of memory");
  for (size_t i = 0; i < n && st == PK_OK; i++) {
    const pk_value *t = pk_array_at(list, i);
    if (pk_value_kind(t) != PK_KIND_TABLE) {
      st = pk__fail_at(err, PK_ECONFIG, pk_value_get_pos(t),
                       "plugin must be an array of tables ([[plugin]])");
      break;
    }
    lent *e = &L->e[L->n++];
    st = read_entry(t, e, err);
    void *twice = NULL;
    if (st == PK_OK && pk__map_get_or_put(a, &L->by_id, e->id, strlen(e->id),
                                          e, &twice) != PK_OK)
      st = pk__fail(err, PK_ENOMEM, "out of memory");
    else if (twice)
      st = pk__fail_at(err, PK_ECONFIG, e->pos,
                       "plugin %s is listed twice; write the lock file "
                       "again with `plugkit lock`",
                       e->id);
  }
  if (st != PK_OK) {
    lock_free(a, L);
    return st;
  }
  *out = L;
  return PK_OK;
}

pk_status pk__lock_load(pk_host *h, pk_error *err)
{
  if (!h->lock_path || h->lock)
    return PK_OK;
  return lock_read(&h->alloc, h->lock_path, &h->lock, err);
}

void pk__lock_free(pk_host *h)
{
  lock_free(&h->alloc, h->lock);
  h->lock = NULL;
}

/* Hashes the regular file at path into hex; errno, EINVAL when it is not a
 * regular file. */
static int hash_file(const char *path, char hex[65])
{
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return errno;
  struct stat sb;
  int e = fstat(fd, &sb) != 0 ? errno : !S_ISREG(sb.st_mode) ? EINVAL : 0;
  if (!e)
    e = pk__sha256_fd(fd, hex);
  close(fd);
  return e;
}

static pk_status hash_fail(pk_error *err, const char *path, int e)
{
  return pk__fail(err, PK_EIO, "%s: cannot hash it: %s", path,
                  e == EINVAL ? "not a regular file" : strerror(e));
}

/* One difference: to diag and *first (the first one). */
static pk_status differ(pk_diag *diag, pk_error *first, bool *failed,
                        const char *plugin, pk_pos pos, const char *fmt, ...)
    PK__PRINTF(6, 7);
static pk_status differ(pk_diag *diag, pk_error *first, bool *failed,
                        const char *plugin, pk_pos pos, const char *fmt, ...)
{
  pk_error e;
  va_list ap;
  va_start(ap, fmt);
  pk__vfail_at(&e, PK_ETRUST, pos, fmt, ap);
  va_end(ap);
  pk__error_set_plugin(&e, plugin);
  return pk__diag_report(diag, first, failed, &e);
}

/* Compares p with its entry of lock L (e, NULL: not listed): each
 * difference to diag / *first. */
static pk_status compare(const struct pk__lock *L, const lent *e,
                         const pk_plugin *p, pk_diag *diag, pk_error *first,
                         bool *failed)
{
  char again[600];
  snprintf(again, sizeof again,
           "if the change is wanted, run `plugkit lock -o %s` again", L->path);
  pk_pos top = {L->path, 0, 0};
  if (!e)
    return differ(diag, first, failed, p->id, top,
                  "plugin %s (%s) is not in the lock file; %s", p->id,
                  p->manifest_path, again);
  const char *now[2] = {p->manifest_path, p->library_path};
  pk_status st = PK_OK;
  for (int f = 0; f < 2 && st != PK_ENOMEM; f++) {
    if (!now[f] && !e->file[f])
      continue;
    if (!now[f] || !e->file[f] || strcmp(now[f], e->file[f])) {
      st = differ(diag, first, failed, p->id,
                  e->file[f] ? e->file_pos[f] : e->pos,
                  "plugin %s: its %s is %s, the lock file says %s; %s", p->id,
                  file_key[f], now[f] ? now[f] : "none",
                  e->file[f] ? e->file[f] : "none", again);
      continue;
    }
    char hex[65];
    int err_no = hash_file(now[f], hex);
    if (err_no) {
      pk_error he;
      hash_fail(&he, now[f], err_no);
      st = differ(diag, first, failed, p->id, e->sha_pos[f], "plugin %s: %s",
                  p->id, he.message);
    } else if (strcmp(hex, e->sha[f]))
      st = differ(diag, first, failed, p->id, e->sha_pos[f],
                  "plugin %s: %s has SHA-256 %s but the lock file expects "
                  "%s; %s",
                  p->id, now[f], hex, e->sha[f], again);
  }
  return st;
}

pk_status pk__lock_check_plugin(pk_host *h, const pk_plugin *p, pk_error *err)
{
  if (!h->lock || p->builtin)
    return PK_OK;
  bool failed = false;
  pk_error first;
  pk_error_clear(&first);
  compare(h->lock, pk__map_get(&h->lock->by_id, p->id, strlen(p->id)), p, NULL,
          &first, &failed);
  return failed ? pk__error_copy(err, &first) : PK_OK;
}

static bool listed(const pk_plugin *p)
{
  return p->state != PK_STATE_SHADOWED && p->state != PK_STATE_BROKEN;
}

/* The write and the check work on the plugins discovered (not calling
 * discovery, which reads the lock in force: no circle of calls). */
static pk_status discovered(pk_host *h, const char *fn, const char *path,
                            pk_error *err)
{
  if (!h || !path || !*path)
    return pk__fail(err, PK_EMISUSE, "%s: %s is NULL", fn, h ? "path" : "host");
  if (!h->discovered)
    return pk__fail(err, PK_ESTATE, "%s: call pk_host_discover() first", fn);
  return h->fatal ? pk__error_copy(err, &h->fatal_err) : PK_OK;
}

pk_status pk_host_check_lock(pk_host *h, const char *path, pk_diag *diag,
                             pk_error *err)
{
  pk_status st = discovered(h, "pk_host_check_lock", path, err);
  struct pk__lock *L = NULL;
  if (st == PK_OK)
    st = lock_read(&h->alloc, path, &L, err);
  if (st != PK_OK)
    return st;
  bool failed = false;
  pk_error first;
  pk_error_clear(&first);
  for (size_t i = 0; i < h->nplugins && st != PK_ENOMEM; i++) {
    pk_plugin *p = h->plugins[i];
    if (!listed(p))
      continue;
    lent *e = pk__map_get(&L->by_id, p->id, strlen(p->id));
    if (e)
      e->seen = true;
    if (!p->builtin)
      st = compare(L, e, p, diag, &first, &failed);
  }
  for (size_t i = 0; i < L->n && st != PK_ENOMEM; i++)
    if (!L->e[i].seen)
      st = differ(diag, &first, &failed, L->e[i].id, L->e[i].pos,
                  "plugin %s is in the lock file but was not found in the "
                  "search path; if it was removed on purpose, run `plugkit "
                  "lock -o %s` again",
                  L->e[i].id, path);
  lock_free(&h->alloc, L);
  if (st == PK_ENOMEM)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  return failed ? pk__error_copy(err, &first) : PK_OK;
}

/* ---- writing ---- */

/* s as a TOML basic string. */
static void put_string(FILE *f, const char *s)
{
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\')
      fprintf(f, "\\%c", *c);
    else if (*c < 0x20 || *c == 0x7f)
      fprintf(f, "\\u%04x", *c);
    else
      fputc(*c, f);
  }
  fputc('"', f);
}

pk_status pk_host_write_lock(pk_host *h, const char *path, pk_error *err)
{
  pk_status st = discovered(h, "pk_host_write_lock", path, err);
  if (st != PK_OK)
    return st;
  /* Created afresh (O_EXCL, O_NOFOLLOW), as the metadata cache's
   * temporary file: a symlink planted at its name is not written through. */
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  unlink(tmp);
  int fd =
      open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    int e = errno;
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    return pk__fail(err, PK_EIO, "%s: cannot write the lock file: %s", path,
                    strerror(e));
  }
  fputs("# plugkit lock file: the plugins this host may load, with the "
        "SHA-256 of\n# their files.  Written by `plugkit lock`; check it "
        "with `plugkit lock --check`.\nversion = 1\n",
        f);
  for (size_t i = 0; i < h->nplugins && st == PK_OK; i++) {
    const pk_plugin *p = h->plugins[i];
    if (!listed(p))
      continue;
    fputs("\n[[plugin]]\nid = ", f);
    put_string(f, p->id);
    fputc('\n', f);
    if (p->builtin) {
      fputs("builtin = true\n", f);
      continue;
    }
    const char *files[2] = {p->manifest_path, p->library_path};
    for (int k = 0; k < 2 && files[k]; k++) {
      char hex[65];
      int e = hash_file(files[k], hex);
      if (e) {
        st = hash_fail(err, files[k], e);
        pk__error_set_plugin(err, p->id);
        break;
      }
      fprintf(f, "%s = ", file_key[k]);
      put_string(f, files[k]);
      fprintf(f, "\n%s = \"%s\"\n", sha_key[k], hex);
    }
  }
  if (fclose(f) != 0 && st == PK_OK)
    st = pk__fail(err, PK_EIO, "%s: cannot write the lock file: %s", path,
                  strerror(errno));
  if (st == PK_OK && rename(tmp, path) != 0)
    st = pk__fail(err, PK_EIO, "%s: cannot write the lock file: %s", path,
                  strerror(errno));
  if (st != PK_OK)
    unlink(tmp);
  return st;
}
