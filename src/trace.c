/* trace.c -- the optional trace callback: plugin start-up costs and calls.
 * SPDX-License-Identifier: MIT */
#include <time.h>

#include "records.h"

uint64_t pk__now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void pk__trace_emit(pk_host *h, pk_trace_event event, const pk_plugin *p,
                    uint64_t t0, pk_status status)
{
  pk_trace ev = {event, p, NULL, pk__now_ns() - t0, status};
  void *hc = pk__host_code_enter(h);
  h->trace(h->trace_ud, &ev);
  pk__host_code_leave(h, hc);
}

const char *pk_trace_event_name(pk_trace_event event)
{
  static const char *const names[] = {"load",   "register",  "post_register",
                                      "unload", "hook_call", "factory"};
  return (unsigned)event < sizeof names / sizeof names[0] ? names[event]
                                                          : "unknown";
}

/* The one place a step is named for a user: the crash journal's
 * quarantine messages and the CLI's reports both say these. */
const char *pk_trace_event_describe(pk_trace_event event)
{
  static const char *const texts[] = {
      "loading (dlopen)",  "register hook", "post_register hook",
      "unloading (unload hook, dlclose)", "hook call", "factory"};
  return (unsigned)event < sizeof texts / sizeof texts[0] ? texts[event]
                                                          : "code";
}
