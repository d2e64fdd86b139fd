/* unknown_type.c -- the error of a type tag no type of its kind has: the
 * known tags, the closest one, and the installed plugin, not enabled,
 * that would provide it (with the [plugins] line enabling it).
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "use.h"

pk_status pk__unknown_type(pk_host *h, const pk__types *t, const char *kind,
                           const char *tag, pk_pos pos, const char *where,
                           pk_error *err)
{
  const char *names[128];
  size_t n = 0;
  for (size_t i = 0; i < t->ntypes && n < 128; i++)
    if (!strcmp(t->types[i]->kind, kind))
      names[n++] = t->types[i]->tag;
  char list[1024];
  pk__join(list, sizeof list, names, n);
  /* an installed plugin not declared that would provide it */
  char hint[512] = "";
  for (size_t i = 0; i < pk_host_plugin_count(h) && !hint[0]; i++) {
    pk_plugin *p = pk_host_plugin_at(h, i);
    const pk_value *prov = p->m.root ? pk_table_get(p->m.root, "provides")
                                     : NULL;
    for (size_t j = 0; j < pk_array_count(prov); j++) {
      const char *k = "", *g = "";
      pk_table_get_string(pk_array_at(prov, j), "kind", &k, NULL);
      pk_table_get_string(pk_array_at(prov, j), "tag", &g, NULL);
      if (!strcmp(k, kind) && !strcmp(g, tag) &&
          p->state != PK_STATE_SHADOWED) {
        snprintf(hint, sizeof hint,
                 "; plugin %s provides it but is not enabled: add "
                 "plugins.%s = \"%s\" to the config",
                 p->id, p->m.name, p->id);
        break;
      }
    }
  }
  const char *near = pk__closest(tag, names, n);
  char dym[200] = "";
  if (near)
    snprintf(dym, sizeof dym, " (did you mean \"%s\"?)", near);
  return pk__fail_at(err, PK_ENOTFOUND, pos,
                     "unknown %s type \"%s\" in %s%s; known types: %s%s", kind,
                     tag, where, dym, n ? list : "none", hint);
}
