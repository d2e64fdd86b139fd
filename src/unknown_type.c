/* unknown_type.c -- the error of a type tag no type of its kind has: the
 * known tags, the closest one, and what type_hint.c says of the plugin
 * that would provide it (how to enable it, or the [plugins] typo).
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "use.h"

pk_status pk__unknown_type(pk_host *h, const pk__types *t, const char *kind,
                           const char *tag, pk_pos pos, const char *where,
                           pk_error *err)
{
  const char *names[128] = {0}; /* gcc 12 -O2 sees pk__join read it */
  size_t n = 0;
  for (size_t i = 0; i < t->ntypes && n < 128; i++)
    if (!strcmp(t->types[i]->kind, kind))
      names[n++] = t->types[i]->tag;
  char list[1024];
  pk__join(list, sizeof list, names, n);
  char hint[1024];
  pk__type_hint(h, kind, tag, hint, sizeof hint);
  const char *near = pk__closest(tag, names, n);
  char dym[200] = "";
  if (near)
    snprintf(dym, sizeof dym, " (did you mean \"%s\"?)", near);
  return pk__fail_at(err, PK_ENOTFOUND, pos,
                     "unknown %s type \"%s\" in %s%s; known types: %s%s", kind,
                     tag, where, dym, n ? list : "none", hint);
}
