/* type_hint.c -- what to say about a type no declared plugin provides:
 * the installed plugin that would, and how to enable it, or the typo in
 * the [plugins] entry that meant it.  Also the "ns:name" a [plugins]
 * value names, shared with host_config.c.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "use.h"

const char *pk__plugins_full_id(const pk_host *h, const char *id, char *buf,
                                size_t n)
{
  if (strchr(id, ':') || h->nns != 1)
    return id; /* (not copied: most name their namespace) */
  snprintf(buf, n, "%s:%s", h->ns[0].name, id);
  return buf;
}

/* A [plugins] entry (alias = "ns:name" or a table with plugin = ...) that
 * names no installed plugin and whose closest installed name is p's:
 * writes the typo hint for p. */
static bool typo_hint(pk_host *h, const pk_plugin *p, char *hint, size_t n)
{
  const pk__hostconf *hc = h->hostconf;
  const pk_value *plugins =
      hc && hc->config ? pk_table_get(pk_doc_root(hc->config), "plugins")
                       : NULL;
  for (size_t i = 0; i < pk_table_count(plugins); i++) {
    const char *alias = pk_table_key_at(plugins, i, NULL), *id = NULL;
    const pk_value *v = pk_table_value_at(plugins, i);
    if (pk_value_kind(v) == PK_KIND_TABLE)
      v = pk_table_get(v, "plugin");
    char buf[2 * PK__NAME_MAX + 2];
    if (pk_value_get_string(v, &id, NULL, NULL) != PK_OK)
      continue;
    const char *full = pk__plugins_full_id(h, id, buf, sizeof buf);
    const char *const cand[1] = {p->id};
    if (pk_host_find_plugin(h, full) || !pk__closest(full, cand, 1))
      continue;
    pk_pos at = pk_value_get_pos(v);
    snprintf(hint, n,
             "; plugin %s provides it: fix the typo in plugins.%s at "
             "%s:%d:%d (\"%s\")",
             p->id, alias, at.source, at.line, at.col, id);
    return true;
  }
  return false;
}

void pk__type_hint(pk_host *h, const char *kind, const char *tag, char *hint,
                   size_t n)
{
  hint[0] = '\0';
  for (size_t i = 0; i < pk_host_plugin_count(h); i++) {
    pk_plugin *p = pk_host_plugin_at(h, i);
    const pk_value *prov =
        (p->m.has & PK__M_PROVIDES) && p->state != PK_STATE_SHADOWED
            ? pk_table_get(pk__manifest_root(p), "provides")
            : NULL;
    for (size_t j = 0; j < pk_array_count(prov); j++) {
      const char *k = "", *g = "";
      pk_table_get_string(pk_array_at(prov, j), "kind", &k, NULL);
      pk_table_get_string(pk_array_at(prov, j), "tag", &g, NULL);
      if (strcmp(k, kind) || strcmp(g, tag))
        continue;
      if (!typo_hint(h, p, hint, n))
        snprintf(hint, n,
                 "; plugin %s provides it but is not enabled: add "
                 "plugins.%s = \"%s\" to the config",
                 p->id, p->m.name, p->id);
      return;
    }
  }
}

