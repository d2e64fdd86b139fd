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

/* ---- hook implementations ----
 *
 * A host declares hooks (pk_host_declare_hook in plugkit.h); a plugin adds
 * implementations from its register hook with api->hook_add().  Each call
 * of the hook runs the wrappers (outermost first), which run the rest
 * through api->hook_next(), then the plain implementations in order:
 * dependency order of the plugins, adjusted by the hints below.
 *
 * A plain implementation returns 0 (no result: go on), PK_HOOK_RESULT (it
 * wrote its result into *result, which is non-NULL only when the caller
 * keeps results; a first-result hook stops there), or a failure status:
 * return api->hook_fail(call, status, "why ...") to attach a message.  The
 * call then stops; wrappers see the failure; the caller gets the status,
 * your plugin's name and the message.  args is the host's argument block
 * (the hook's contract says what it holds); data is the pointer you gave
 * to hook_add.  Keep the api pointer your register hook received (it stays
 * valid while the host lives) to call api->hook_fail and friends.
 * Implementations may run on any thread, concurrently: keep shared state
 * thread-safe or document the hook as single-threaded. */
typedef struct pk_hook_ctx pk_hook_ctx; /* one call in progress */

#define PK_HOOK_RESULT (-1)

typedef int (*pk_hook_fn)(pk_hook_ctx *call, void *data, void *args,
                          void *result);

/* A wrapper runs around the inner implementations: it calls
 * api->hook_next(call) at most once (not calling it skips them), sees the
 * status it returns, api->hook_error() and the results
 * (api->hook_result_*), may change the results, and returns the call's
 * outcome: the inner status to pass it on, 0 to turn a failure into
 * success, or api->hook_fail(...) to replace it. */
typedef int (*pk_hook_wrapper_fn)(pk_hook_ctx *call, void *data, void *args);

/* Ordering hints of one implementation (pk_hook_impl.flags). */
#define PK_HOOK_IMPL_FIRST 0x1u /* before every implementation not first */
#define PK_HOOK_IMPL_LAST 0x2u  /* after every implementation not last */

/* One implementation for api->hook_add().  Everything is copied.  Plugin
 * names in before/after are "name" (this plugin's namespace) or
 * "ns:name"; a name that is not loaded, or does not implement the hook, is
 * a satisfied hint.  Contradictory hints (a before/after cycle, first and
 * last that cannot both hold, a hint against a dependency) fail the
 * registration with a message naming the plugins and hints. */
typedef struct pk_hook_impl {
  uint32_t size;                 /* sizeof(pk_hook_impl) */
  uint32_t flags;                /* PK_HOOK_IMPL_FIRST, PK_HOOK_IMPL_LAST */
  const char *hook;              /* name of the host's hook */
  pk_hook_fn fn;                 /* a plain implementation, or NULL */
  pk_hook_wrapper_fn wrapper;    /* or a wrapper (exactly one is set) */
  void *data;                    /* handed back to fn / wrapper */
  const char *const *before;     /* NULL-terminated plugin names, or NULL */
  const char *const *after;      /* NULL-terminated plugin names, or NULL */
} pk_hook_impl;

/* ---- types (kinds are declared by the host) ----
 *
 * The manifest declares each type a plugin provides ([[provides]]: kind,
 * tag, extends, [provides.config]); the register hook adds its code with
 * api->type_add().  When the host asks for an instance whose table says
 * type = "TAG", the host decodes the table by [provides.config], copies
 * the fields into a struct of config_size bytes through the bindings
 * (layering: the instance table, then the plugin's [plugins.ALIAS]
 * section, then the host's [defaults], then the schema default) and calls
 * the factory. */

/* The C type of a bound struct member (same values as pk_ctype in
 * plugkit.h). */
enum {
  PK_PLUGIN_C_STRING = 1, /* const char *: string or enum field */
  PK_PLUGIN_C_INT64,      /* int64_t: integer field */
  PK_PLUGIN_C_INT,        /* int: integer field (range checked) */
  PK_PLUGIN_C_DOUBLE,     /* double: float field */
  PK_PLUGIN_C_BOOL,       /* bool: boolean field */
  PK_PLUGIN_C_DATETIME,   /* pk_datetime (plugkit.h): datetime field */
  PK_PLUGIN_C_ENUM,       /* int: enum field, index into its choices */
  PK_PLUGIN_C_STRINGS = 32 /* const char *const *: an array of strings,
                              NULL-terminated (plugin only; valid as long
                              as the instance or the host) */
};

typedef struct pk_plugin_binding {
  const char *field; /* field name in the schema */
  int ctype;         /* PK_PLUGIN_C_* */
  size_t offset;     /* offsetof(struct, member) */
  size_t size;       /* sizeof the member (0: unchecked) */
} pk_plugin_binding;

#define PK_PLUGIN_BIND(struct_type, member, field_name, ctype)                 \
  {(field_name), (ctype), offsetof(struct_type, member),                       \
   sizeof(((struct_type *)0)->member)}

/* One factory call.  The factory stores the new instance in *out and
 * returns 0, or writes why it failed into error (error_size bytes) and
 * returns non-zero.  It may run on any thread (one call per instance). */
typedef struct pk_type_call {
  uint32_t size;         /* sizeof(pk_type_call) of the host */
  pk_plugin_ctx *ctx;    /* the providing plugin */
  const char *kind;      /* "cache" */
  const char *tag;       /* "redis" */
  const char *name;      /* the instance name: [caches.NAME] */
  const void *config;    /* the bound struct (config_size bytes); valid
                            until the instance is destroyed */
  void *base;            /* the base type's instance (extends), or NULL */
  void *host_userdata;
  void *data;            /* pk_type_impl.data */
  char *error;           /* write a reason here on failure; one that
                            starts with a config field's name and a space
                            (url "x": ...) is positioned at that field's
                            value, else at the instance's table */
  size_t error_size;
} pk_type_call;

typedef int (*pk_type_factory_fn)(const pk_type_call *call, void **out);
/* Destroys an instance (the host frees the base instance after it). */
typedef void (*pk_type_destroy_fn)(void *data, void *instance);

typedef struct pk_type_impl {
  uint32_t size;                      /* sizeof(pk_type_impl) */
  const char *kind;                   /* as in [[provides]] */
  const char *tag;
  pk_type_factory_fn factory;
  pk_type_destroy_fn destroy;         /* may be NULL */
  void *data;                         /* handed back to factory/destroy */
  const pk_plugin_binding *bindings;  /* may be NULL (n == 0) */
  size_t nbindings;
  size_t config_size;                 /* sizeof the bound struct */
} pk_type_impl;

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

  /* ---- hooks (since 0.1) ---- */

  /* Adds an implementation of a host hook (from on_register only).  Returns
   * 0, or PK_ENOTFOUND (8) when the host does not declare the hook: a
   * warning in the host's log and the implementation is ignored,
   * or, in strict mode, an error that fails this plugin's registration.
   * Other errors (bad arguments, first and last together) are recorded and
   * fail the registration whatever the hook returns, so the result may be
   * ignored.  Adding the same implementation (the same fn or wrapper with
   * the same data) twice for one hook is such an error, PK_EDUPLICATE
   * naming the plugin and the hook: it would run twice per call, which is
   * never meant (pluggy, likewise, refuses a plugin registered twice rather
   * than deduplicating it silently).  The same function with other data is
   * another implementation.  A host that declares neither namespaces nor
   * hooks (a generic tool such as the plugkit CLI) accepts any hook
   * without a warning. */
  int (*hook_add)(pk_plugin_ctx *ctx, const pk_hook_impl *impl);

  /* Inside an implementation or wrapper: records why the call fails and
   * returns status (0 or an unknown value become PK_EPLUGIN) to return. */
  int (*hook_fail)(pk_hook_ctx *call, int status, const char *fmt, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 3, 4)))
#endif
      ;

  /* Inside a wrapper: runs the inner wrappers and implementations; returns
   * their status (0 on success). */
  int (*hook_next)(pk_hook_ctx *call);

  /* Inside a wrapper, after hook_next: the failure's message and (through
   * plugin, if not NULL) the "ns:name" of the plugin that failed; NULL when
   * the inner call succeeded.  Valid until the wrapper returns. */
  const char *(*hook_error)(pk_hook_ctx *call, const char **plugin);

  /* Inside a wrapper: the results kept so far (count), the i-th result slot
   * (i < the caller's capacity; NULL otherwise or when the caller keeps no
   * results) to read or overwrite, and a new count (clamped to the
   * capacity; returns the count set). */
  size_t (*hook_result_count)(pk_hook_ctx *call);
  void *(*hook_result_at)(pk_hook_ctx *call, size_t i);
  size_t (*hook_set_result_count)(pk_hook_ctx *call, size_t n);

  /* ---- types and configuration (since 0.1) ---- */

  /* Registers the code side of a type the manifest declares in
   * [[provides]] (from on_register only): the kind and tag must match an
   * entry of the manifest, and every binding must name a field of its
   * [provides.config] with the matching C type.  Returns 0, or non-zero
   * with the reason recorded (the registration then fails, naming the
   * manifest and the code).  Everything is copied. */
  int (*type_add)(pk_plugin_ctx *ctx, const pk_type_impl *impl);

  /* The alias the host config gives the plugin ([plugins] ALIAS = ...),
   * the prefix of what it contributes (ALIAS.cmd, ALIAS/cmd); NULL when
   * the host loaded no config.  Valid while the plugin is loaded. */
  const char *(*plugin_alias)(pk_plugin_ctx *ctx);

  /* Copies the plugin's decoded [plugins.ALIAS] section (validated by its
   * manifest's [config] before any plugin code ran; defaults applied) into
   * the struct at dst through n bindings.  UNSET fields leave their member
   * as it was.  Strings written are borrowed until the host is freed.
   * Returns 0, or non-zero (unknown field or wrong C type) with the reason
   * recorded as by fail(). */
  int (*config_bind)(pk_plugin_ctx *ctx, const pk_plugin_binding *bindings,
                     size_t n, void *dst);
};

#ifdef __cplusplus
}
#endif

#endif /* PLUGKIT_PLUGIN_H */
