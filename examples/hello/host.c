/* host.c -- a minimal plugkit host: accepts namespace "hello", searches
 * ./plugins (and PLUGKIT_PATH), registers the plugins named on the command
 * line and prints the order they were set up in.
 *   hello-host [PLUGIN_DIR] [ns:name...]
 * SPDX-License-Identifier: MIT */
#include <plugkit.h>
#include <stdio.h>

static void log_line(void *ud, pk_log_level level, const char *plugin,
                     const char *message)
{
  (void)ud;
  if (level >= PK_LOG_INFO)
    printf("  [%s] %s\n", plugin ? plugin : "host", message);
}

int main(int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : "plugins";
  const char *fallback[] = {"hello:greeter"};
  const char *const *reqs = argc > 2 ? (const char *const *)argv + 2 : fallback;
  size_t nreqs = argc > 2 ? (size_t)argc - 2 : 1;
  pk_host_options opts = {.size = sizeof opts, .log = log_line};
  pk_host *host = NULL;
  pk_error err;
  char text[2048];
  int rc = 1;

  if (pk_host_new(&opts, &host, &err) != PK_OK ||
      pk_host_add_namespace(host, "hello", 1, &err) != PK_OK ||
      pk_host_add_path(host, dir, &err) != PK_OK)
    goto fail;
  pk_ns_args args[] = {{"hello", (void *)"world"}};
  if (pk_host_register(host, reqs, nreqs, args, 1, &err) != PK_OK)
    goto fail;
  printf("set-up order:\n");
  for (size_t l = 0; l < pk_host_layer_count(host); l++)
    for (size_t i = 0; i < pk_host_layer_size(host, l); i++) {
      pk_plugin *p = pk_host_layer_plugin_at(host, l, i);
      printf("  layer %zu: %s %s (%s)\n", l, pk_plugin_get_id(p),
             pk_plugin_get_version(p), pk_plugin_state_name(
                                           pk_plugin_get_state(p)));
    }
  rc = 0;
  goto done;
fail:
  pk_error_format(&err, text, sizeof text);
  fprintf(stderr, "hello-host: %s\n", text);
done:
  pk_host_free(host); /* runs unload hooks in reverse order */
  return rc;
}
