/* loader_posix.c -- the pk__dl_* contract on dlopen/dlsym/dlclose.
 * SPDX-License-Identifier: MIT */
#include <dlfcn.h>

#include "stages.h"

void *pk__dl_open(const char *path, pk_error *err)
{
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *why = dlerror();
    pk__fail(err, PK_ELOAD, "%s", why ? why : "dlopen failed");
  }
  return h;
}

void *pk__dl_sym(void *handle, const char *name, pk_error *err)
{
  dlerror(); /* clear */
  void *p = dlsym(handle, name);
  if (!p) {
    const char *why = dlerror();
    pk__fail(err, PK_ELOAD, "%s", why ? why : "symbol is NULL");
  }
  return p;
}

void pk__dl_close(void *handle)
{
  if (handle)
    dlclose(handle);
}
