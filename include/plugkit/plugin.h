/* plugkit/plugin.h -- the plugin author's API: descriptor, entry macro and
 * the host-API table.  Compiles on its own, without plugkit.h.
 * SPDX-License-Identifier: MIT
 *
 * USAGE
 *   1. Write plugin.toml (name, namespace, version, abi, library, requires).
 *   2. Implement the hooks you need:
 *        static int on_register(const pk_host_api *api, pk_plugin_ctx *ctx,
 *                               void *host_userdata) { ... return 0; }
 *   3. Define the descriptor once, in one .c file:
 *        PK_PLUGIN_DEFINE("runner", "redis", 1, on_register, NULL, NULL);
 *   4. Build a shared object (-shared -fPIC) named as plugin.toml's
 *      `library` says.  Do not link libplugkit: call the host only through
 *      the `api` table your hooks receive.
 *
 * A hook returns 0 (PK_OK) on success.  To fail, return api->fail(ctx, ...):
 * the message reaches the host's caller with your plugin's name.
 */
#ifndef PLUGKIT_PLUGIN_H
#define PLUGKIT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pk_plugin_ctx pk_plugin_ctx; /* one plugin inside one host */
typedef struct pk_host_api pk_host_api;

/* Log levels for pk_host_api.log (same values as pk_log_level in
 * plugkit.h). */
enum { PK_PLUGIN_LOG_DEBUG = 0, PK_PLUGIN_LOG_INFO, PK_PLUGIN_LOG_WARN,
       PK_PLUGIN_LOG_ERROR };

/* Lifecycle hooks.  host_userdata is the host's pointer (the "collector"),
 * the same for every hook of every plugin.  register runs once, in
 * dependency order, and may add requirements (api->require).
 * post_register runs once everything is registered, in final dependency
 * order; args is the host's argument for this plugin's namespace (or NULL).
 * unload runs in reverse order when the host is freed or the plugin is
 * unloaded; it cannot fail. */
typedef int (*pk_register_fn)(const pk_host_api *api, pk_plugin_ctx *ctx,
                              void *host_userdata);
typedef int (*pk_post_register_fn)(const pk_host_api *api, pk_plugin_ctx *ctx,
                                   void *host_userdata, void *args);
typedef void (*pk_unload_fn)(const pk_host_api *api, pk_plugin_ctx *ctx,
                             void *host_userdata);

/* Descriptor flags. */
#define PK_PLUGIN_RESIDENT 0x1u /* never dlclose()d (e.g. it keeps TLS) */

/* The plugin descriptor: one exported constant per shared object, named
 * pk_plugin_descriptor.  The host reads abi and size before anything else
 * and refuses a mismatch with a message naming both values.  Append-only:
 * new fields go at the end and grow size. */
typedef struct pk_plugin_desc {
  uint32_t abi;                      /* PK_PLUGIN_ABI it was built with */
  uint32_t size;                     /* sizeof(pk_plugin_desc) at build */
  const char *namespace_name;        /* must equal the manifest's namespace */
  const char *name;                  /* must equal the manifest's name */
  uint32_t host_abi;                 /* must equal the manifest's abi */
  uint32_t flags;                    /* PK_PLUGIN_RESIDENT, ... */
  pk_register_fn on_register;        /* may be NULL */
  pk_post_register_fn on_post_register; /* may be NULL */
  pk_unload_fn on_unload;            /* may be NULL */
} pk_plugin_desc;

/* The exported symbol's name. */
#define PK_PLUGIN_SYMBOL "pk_plugin_descriptor"

#if defined(_WIN32)
#define PK_PLUGIN_EXPORT __declspec(dllexport)
#else
#define PK_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* Defines the descriptor.  NS and NAME are string literals; HOST_ABI the
 * namespace ABI the code targets (the manifest's `abi`); the hooks may be
 * NULL.  PK_PLUGIN_DEFINE_FLAGS adds descriptor flags. */
#define PK_PLUGIN_DEFINE_FLAGS(NS, NAME, HOST_ABI, FLAGS, REG, POST, UNLOAD)   \
  PK_PLUGIN_EXPORT const pk_plugin_desc pk_plugin_descriptor = {              \
      PK_PLUGIN_ABI, (uint32_t)sizeof(pk_plugin_desc), NS, NAME,              \
      (uint32_t)(HOST_ABI), (uint32_t)(FLAGS), REG, POST, UNLOAD}
#define PK_PLUGIN_DEFINE(NS, NAME, HOST_ABI, REG, POST, UNLOAD)                \
  PK_PLUGIN_DEFINE_FLAGS(NS, NAME, HOST_ABI, 0, REG, POST, UNLOAD)

/* For a plugin compiled into the host (pk_host_add_builtin): a descriptor
 * with its own C name, not exported. */
#define PK_PLUGIN_DEFINE_BUILTIN(VAR, NS, NAME, HOST_ABI, REG, POST, UNLOAD)   \
  const pk_plugin_desc VAR = {PK_PLUGIN_ABI, (uint32_t)sizeof(pk_plugin_desc), \
                              NS, NAME, (uint32_t)(HOST_ABI), 0, REG, POST,   \
                              UNLOAD}

/* The host-API table.  Append-only: a plugin that needs a function added
 * later checks api->size first, e.g.
 *   if (api->size < offsetof(pk_host_api, some_fn) + sizeof api->some_fn)
 * Every function takes the ctx the hook received and may be called only
 * from inside a hook of that plugin (or later, for the instances and hook
 * implementations it created, while the plugin stays loaded). */
struct pk_host_api {
  uint32_t size; /* sizeof(pk_host_api) of the host */
  uint32_t abi;  /* PK_PLUGIN_ABI of the host */

  /* Writes a message to the host's log, tagged with the plugin's name. */
  void (*log)(pk_plugin_ctx *ctx, int level, const char *fmt, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 3, 4)))
#endif
      ;

  /* Records why the plugin fails and returns the status to return from the
   * hook (PK_EPLUGIN, a non-zero value). */
  int (*fail)(pk_plugin_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 2, 3)))
#endif
      ;

  /* Adds a requirement at run time (from on_register only), with the
   * manifest's syntax: "ns:name", "name" (same namespace), an optional
   * version constraint ("ns:name >= 1.2, < 2"), or "ns:__all__".  Returns 0,
   * or non-zero with the reason recorded (a cycle, an unknown plugin, ...):
   * the registration then fails after the hook returns, whatever it
   * returns. */
  int (*require)(pk_plugin_ctx *ctx, const char *requirement);

  /* "ns:name" of the plugin; valid while it is loaded. */
  const char *(*plugin_name)(pk_plugin_ctx *ctx);

  /* The plugin's own pointer slot (NULL until set). */
  void (*set_data)(pk_plugin_ctx *ctx, void *data);
  void *(*get_data)(pk_plugin_ctx *ctx);

  /* The directory that holds the plugin's manifest ("" for a built-in). */
  const char *(*plugin_dir)(pk_plugin_ctx *ctx);
};

#ifdef __cplusplus
}
#endif

#endif /* PLUGKIT_PLUGIN_H */
