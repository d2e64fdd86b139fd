/* fuzz_description.c -- libFuzzer target: any bytes as a host description
 * file (pk_host_load_description: namespaces, kinds, hooks, built-in types
 * and their schemas, [defaults]), read from a real file as a host reads
 * it.  It loads, or fails with a status and a message (positioned when it
 * names a place in the file).  A description that loads is then used: its
 * hooks looked up, an empty config loaded against it (defaults, kinds) and
 * the (empty) set of plugins registered.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include <plugkit.h>

#include "fuzz.h"

static void check_failure(pk_status st, const pk_error *err,
                          const char *path)
{
  CHECK(st != PK_OK && err->code == st && err->message[0]);
  CHECK(st != PK_EMISUSE && st != PK_ESTATE);
  if (err->line)
    CHECK(err->col >= 1 && !strcmp(err->source, path));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *path = fuzz_path("host.toml");
  fuzz_write(path, data, size);
  pk_host_options o = {.size = sizeof o, .ignore_env = true};
  pk_host *h = NULL;
  pk_error err;
  CHECK(pk_host_new(&o, &h, &err) == PK_OK);
  pk_status st = pk_host_load_description(h, path, &err);
  if (st != PK_OK) {
    check_failure(st, &err, path);
    pk_host_free(h);
    return 0;
  }
  for (size_t i = 0; i < pk_host_hook_count(h); i++) {
    pk_hook *k = pk_host_hook_at(h, i);
    CHECK(k && pk_host_get_hook(h, pk_hook_get_name(k)) == k);
  }
  st = pk_host_load_config_text(h, "", 0, "config.toml", NULL, &err);
  if (st == PK_OK)
    st = pk_host_register(h, NULL, 0, NULL, 0, &err);
  if (st != PK_OK)
    check_failure(st, &err, "config.toml");
  pk_host_free(h);
  return 0;
}
