/* hygiene.c -- path hygiene, in the spirit of ld.so's secure mode: before
 * a plugin's code is loaded, its directory, its manifest and its shared
 * object must be writable by their owner only, and owned by the host's
 * user or root; and the shared object, its symbolic links resolved, must
 * lie inside the plugin directory (the manifest already refuses a
 * `library` with a '/').  A host opts out of the first rule with
 * pk_host_options.insecure_paths or PLUGKIT_INSECURE_PATHS=1; the second
 * always holds.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

/* Refuses path when group or others can write it or another user owns
 * it.  A symbolic link is followed (what it names is what is used). */
static pk_status check_mode(const pk_plugin *p, uid_t me, const char *path,
                            const char *what, pk_error *err)
{
  struct stat sb;
  if (stat(path, &sb) != 0)
    return PK_OK; /* missing: the load itself says so */
  if (sb.st_uid != me && sb.st_uid != 0)
    return pk__fail(err, PK_ETRUST,
                    "plugin %s: %s %s is owned by uid %ld, not by this user "
                    "(uid %ld) or root: another user could change the code "
                    "this host runs; install the plugin as this user or "
                    "root (or let the host opt out: PLUGKIT_INSECURE_PATHS=1)",
                    p->id, what, path, (long)sb.st_uid, (long)me);
  if (sb.st_mode & (S_IWGRP | S_IWOTH))
    return pk__fail(err, PK_ETRUST,
                    "plugin %s: %s %s has mode %04o: %s can write it and "
                    "change the code this host runs; run `chmod go-w %s` "
                    "(or let the host opt out: PLUGKIT_INSECURE_PATHS=1)",
                    p->id, what, path, (unsigned)(sb.st_mode & 07777),
                    (sb.st_mode & S_IWOTH) ? "anyone" : "its group", path);
  return PK_OK;
}

/* The shared object p->library_path resolved into lib, the plugin
 * directory being dir (resolved); false when it is missing.  One walk of
 * the path: a library DIR/NAME whose NAME is not a symbolic link (nor "",
 * "." or "..") resolves to dir/NAME, so only a link is resolved by realpath()
 * (which would walk every component of DIR again, a readlink each). */
static bool resolve_lib(const pk_plugin *p, const char *dir, char *lib)
{
  size_t n = strlen(p->dir);
  const char *name = NULL;
  struct stat sb;
  if (!strncmp(p->library_path, p->dir, n) && p->library_path[n] == '/')
    name = p->library_path + n + 1;
  if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") ||
      !strcmp(name, "..") || lstat(p->library_path, &sb) != 0 ||
      S_ISLNK(sb.st_mode))
    return realpath(p->library_path, lib) != NULL;
  int k = snprintf(lib, PATH_MAX, "%s/%s", strcmp(dir, "/") ? dir : "", name);
  return (k >= 0 && k < PATH_MAX) || realpath(p->library_path, lib);
}

/* The shared object, resolved, must be under the resolved directory. */
static pk_status check_inside(const pk_plugin *p, pk_error *err)
{
  char dir[PATH_MAX], lib[PATH_MAX];
  if (!realpath(p->dir, dir) || !resolve_lib(p, dir, lib))
    return PK_OK; /* missing: the load itself says so */
  size_t n = strlen(dir);
  if (!strncmp(lib, dir, n) && (lib[n] == '/' || (n == 1 && dir[0] == '/')))
    return PK_OK;
  return pk__fail(err, PK_ETRUST,
                  "plugin %s: its library %s resolves to %s, outside its "
                  "plugin directory %s; put the shared object itself in the "
                  "plugin directory",
                  p->id, p->library_path, lib, dir);
}

pk_status pk__hygiene_check(pk_host *h, const pk_plugin *p, pk_error *err)
{
  pk_status st = PK_OK;
  if (!h->insecure_paths) {
    uid_t me = geteuid();
    st = check_mode(p, me, p->dir, "the plugin directory", err);
    if (st == PK_OK)
      st = check_mode(p, me, p->manifest_path, "the manifest", err);
    if (st == PK_OK && p->library_path)
      st = check_mode(p, me, p->library_path, "the library", err);
  }
  if (st == PK_OK && p->library_path)
    st = check_inside(p, err);
  if (st != PK_OK)
    pk__error_set_plugin(err, p->id);
  return st;
}
