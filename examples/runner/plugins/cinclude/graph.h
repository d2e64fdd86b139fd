/* graph.h -- the cinclude plugin's `cinclude-graph` factory (graph.c):
 * the type's factory and destroy functions, for the register hook.
 * SPDX-License-Identifier: MIT */
#ifndef CINCLUDE_GRAPH_H
#define CINCLUDE_GRAPH_H

#include <plugkit/plugin.h>

/* The config bound for the type: [provides.config] of kind factory. */
typedef struct graph_conf {
  const char *dir;         /* where the locks go (NULL: the default) */
} graph_conf;

int graph_factory(const pk_type_call *call, void **out);
void graph_free(void *data, void *inst);

#endif
