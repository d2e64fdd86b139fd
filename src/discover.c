/* discover.c -- search paths -> plugin records, independent of readdir
 * order.  Builtins come first, then PLUGKIT_PATH, then the host's paths;
 * inside a path, directories in byte order.  The first plugin of a given
 * ns:name wins; later ones are recorded as shadowed.
 * SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

static char *path_join(const pk__allocator *a, const char *dir,
                       const char *name)
{
  size_t ld = strlen(dir), ln = strlen(name);
  while (ld > 1 && dir[ld - 1] == '/')
    ld--;
  char *s = pk__alloc(a, ld + ln + 2);
  if (s) {
    memcpy(s, dir, ld);
    s[ld] = '/';
    memcpy(s + ld + 1, name, ln + 1);
  }
  return s;
}

/* Reads a whole file relative to dfd into an allocation of *cap bytes. */
static pk_status read_at(const pk__allocator *a, int dfd, const char *rel,
                         char **text, size_t *len, size_t *cap)
{
  int fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR ? PK_ENOTFOUND : PK_EIO;
  pk_status st = PK_OK;
  *len = 0;
  for (;;) {
    if (*len + 4096 > *cap &&
        pk__vec_reserve(a, (void **)text, cap, *len + 4096, 1) != PK_OK) {
      st = PK_ENOMEM;
      break;
    }
    ssize_t r = read(fd, *text + *len, *cap - *len);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      st = PK_EIO;
      break;
    }
    if (r == 0)
      break;
    *len += (size_t)r;
  }
  close(fd);
  return st;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fills in the record of a plugin whose manifest parsed. */
static pk_status adopt_manifest(pk_host *h, pk_plugin *p)
{
  const pk__allocator *a = &h->records_alloc;
  size_t ln = strlen(p->m.ns), lm = strlen(p->m.name);
  p->id = pk__alloc(a, ln + lm + 2);
  p->key = pk__alloc(a, ln + lm + 2);
  if (!p->id || !p->key)
    return PK_ENOMEM;
  memcpy(p->id, p->m.ns, ln);
  memcpy(p->key, p->m.ns, ln);
  p->id[ln] = ':';
  p->key[ln] = '\x01';
  memcpy(p->id + ln + 1, p->m.name, lm + 1);
  memcpy(p->key + ln + 1, p->m.name, lm + 1);
  if (p->m.library && !p->builtin &&
      !(p->library_path = path_join(a, p->dir, p->m.library)))
    return PK_ENOMEM;
  pk_plugin *first = pk__map_get(&h->by_id, p->id, ln + lm + 1);
  if (first) {
    p->state = PK_STATE_SHADOWED;
    p->shadowed_by = first;
    pk__plugin_set_reason(p, "shadowed by %s (found first in the search path)",
                          first->manifest_path);
    return PK_OK;
  }
  return pk__map_put(&h->alloc, &h->by_id, p->id, ln + lm + 1, p);
}

/* Adds one plugin from manifest text.  Takes ownership of dir ("" for a
 * builtin) and mpath, allocated with pk__strdup-compatible sizes. */
static pk_status add_plugin(pk_host *h, char *dir, char *mpath,
                            const char *text, size_t len,
                            const pk_plugin_desc *builtin, pk_error *err)
{
  const pk__allocator *a = &h->records_alloc;
  pk_plugin *p = NULL;
  if (!dir || !mpath || pk__plugin_new(h, &p) != PK_OK) {
    pk__strfree(a, dir);
    pk__strfree(a, mpath);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  p->search_index = h->nplugins;
  p->builtin = dir[0] == '\0';
  p->desc = builtin;
  p->dir = dir;
  p->manifest_path = mpath;
  if (PK__VEC_PUSH(&h->alloc, h->plugins, h->nplugins, h->plugcap, p) !=
      PK_OK) {
    pk__plugin_free(h, p);
    return pk__fail(err, PK_ENOMEM, "out of memory");
  }
  pk_error perr;
  pk_status st =
      pk__manifest_load(&h->records_alloc, mpath, text, len, &p->m, &perr);
  if (st == PK_ENOMEM)
    return pk__error_copy(err, &perr);
  if (st != PK_OK) {
    /* Broken: named after its directory so that it can still be listed. */
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    p->id = pk__strdup(a, base[0] ? base : mpath);
    p->key = pk__strdup(a, p->id ? p->id : "");
    if (!p->id || !p->key)
      return pk__fail(err, PK_ENOMEM, "out of memory");
    pk__plugin_fail(p, PK_STATE_BROKEN, &perr);
    char msg[1100];
    pk_error_format(&perr, msg, sizeof msg);
    pk__log(h, PK_LOG_WARN, p, "broken manifest: %s", msg);
    if (h->strict)
      return pk__error_copy(err, &perr);
    return PK_OK;
  }
  if (adopt_manifest(h, p) != PK_OK)
    return pk__fail(err, PK_ENOMEM, "out of memory");
  return PK_OK;
}

static pk_status scan_dir(pk_host *h, const char *root, char **buf,
                          size_t *bufcap, pk_error *err)
{
  const pk__allocator *a = &h->alloc;
  DIR *d = opendir(root);
  if (!d) {
    pk__log(h, PK_LOG_DEBUG, NULL, "search path %s: %s", root,
            strerror(errno));
    return PK_OK; /* a missing search path is not an error */
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  pk_status st = PK_OK;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char *s = pk__strdup(a, e->d_name);
    if (!s || PK__VEC_PUSH(a, names, n, cap, s) != PK_OK) {
      pk__strfree(a, s);
      st = pk__fail(err, PK_ENOMEM, "out of memory");
      break;
    }
  }
  if (st == PK_OK && n)
    qsort(names, n, sizeof *names, cmp_str);
  int dfd = dirfd(d);
  char rel[4096];
  for (size_t i = 0; i < n && st == PK_OK; i++) {
    size_t len = 0;
    if ((size_t)snprintf(rel, sizeof rel, "%s/plugin.toml", names[i]) >=
        sizeof rel)
      continue;
    pk_status r = read_at(a, dfd, rel, buf, &len, bufcap);
    if (r == PK_ENOTFOUND)
      continue; /* not a plugin directory */
    char *dir = path_join(&h->records_alloc, root, names[i]);
    char *mpath = dir ? path_join(&h->records_alloc, dir, "plugin.toml") : NULL;
    if (r == PK_OK) {
      st = add_plugin(h, dir, mpath, *buf, len, NULL, err);
      continue;
    }
    if (r == PK_EIO && mpath)
      pk__log(h, PK_LOG_WARN, NULL, "cannot read %s: %s", mpath,
              strerror(errno));
    else
      st = pk__fail(err, PK_ENOMEM, "out of memory");
    pk__strfree(&h->records_alloc, mpath);
    pk__strfree(&h->records_alloc, dir);
  }
  closedir(d);
  for (size_t i = 0; i < n; i++)
    pk__strfree(a, names[i]);
  pk__free(a, names, cap * sizeof *names);
  return st;
}

static int cmp_plugin(const void *x, const void *y)
{
  const pk_plugin *a = *(pk_plugin *const *)x, *b = *(pk_plugin *const *)y;
  int c = strcmp(a->key, b->key);
  if (c)
    return c;
  return (a->search_index > b->search_index) -
         (a->search_index < b->search_index);
}

pk_status pk__discover(pk_host *h, pk_error *err)
{
  if (h->discovered)
    return PK_OK;
  h->discovered = true;
  pk_status st = PK_OK;
  char name[PK__NAME_MAX * 2 + 16];
  for (size_t i = 0; i < h->nbuiltins && st == PK_OK; i++) {
    const pk_plugin_desc *d = h->builtins[i].desc;
    if (d && d->namespace_name && d->name)
      snprintf(name, sizeof name, "builtin:%s:%s", d->namespace_name, d->name);
    else
      snprintf(name, sizeof name, "builtin:%zu", i + 1);
    st = add_plugin(h, pk__strdup(&h->records_alloc, ""),
                    pk__strdup(&h->records_alloc, name),
                    h->builtins[i].text, strlen(h->builtins[i].text), d, err);
  }
  char *buf = NULL;
  size_t bufcap = 0;
  for (size_t i = 0; i < h->npaths && st == PK_OK; i++)
    st = scan_dir(h, h->paths[i], &buf, &bufcap, err);
  pk__free(&h->alloc, buf, bufcap);
  if (h->nplugins)
    qsort(h->plugins, h->nplugins, sizeof *h->plugins, cmp_plugin);
  return st;
}
