/* fuzz_mcache.c -- libFuzzer target: the metadata cache file.  At start
 * the harness makes a small search path (plugins with requirements, a
 * [config] schema, [[provides]], a lazy one, a broken manifest, a directory
 * without a manifest, a plain file), waits until its manifests are old
 * enough to be imaged, notes what a discovery without a cache finds, and
 * writes a real cache of it.  Each input then becomes the cache file and a
 * warm discovery runs over the same search path; then a second one, over
 * the file the first one left.
 *
 * The first byte chooses how: bit 0 clear, the rest of the input patches
 * the real cache (each 3 bytes: a 16-bit offset and a mask XORed there),
 * set, the rest is the whole file; bit 1 set, the header's payload size
 * and checksum are made to match (pk__mc_seal), so that the sections and
 * images are what gets checked.  A file whose checksum does not match must
 * change nothing: both discoveries find exactly what the cold one found.
 * A sealed file may say other things of the manifests it images (the
 * cache is trusted as much as the plugin directories are), but it never
 * crashes, hangs or leaks, and the second discovery finds what the first
 * did -- or, when the first refused an image and so marked the file
 * damaged, what the cold one did.
 * SPDX-License-Identifier: MIT */
#include <string.h>
#include <time.h>

#include <plugkit.h>

#include "mcache.h"

#include "fuzz.h"

static const char *const files[][2] = {
    {"plugins/base/plugin.toml",
     "name = \"base\"\nnamespace = \"f\"\nversion = \"1.0.0\"\n"
     "description = \"the one the others require\"\n"
     "[config]\nlevel = { type = \"integer\", min = 0, default = 1 }\n"},
    {"plugins/mid/plugin.toml",
     "name = \"mid\"\nnamespace = \"f\"\nversion = \"1.2.0-rc.1\"\n"
     "requires = [\"base >= 1.0\"]\noptional = [\"g:absent\"]\nlazy = true\n"
     "[[provides]]\nkind = \"cache\"\ntag = \"mid\"\n"
     "[provides.config]\nurl = { type = \"string\", required = true }\n"},
    {"plugins/other/plugin.toml",
     "name = \"other\"\nnamespace = \"g\"\nversion = \"0.1.0\"\n"
     "library = \"libother.so\"\nabi = 1\nrequires = [\"f:mid\"]\n"},
    {"plugins/broken/plugin.toml",
     "name = \"broken\"\nnamespace = \"f\"\nversion = 1\n"},
    {"plugins/readme.txt", "not a plugin\n"},
};

static char *cold;     /* what a discovery without a cache finds */
static char *real;     /* a real cache file of the search path */
static size_t real_len;

/* Every plugin discovery found, one line each (malloc'd). */
static char *discovered(const char *cache)
{
  pk_host_options o = {.size = sizeof o, .ignore_env = true,
                       .cache_path = cache};
  pk_host *h = NULL;
  pk_error err;
  CHECK(pk_host_new(&o, &h, &err) == PK_OK);
  CHECK(pk_host_add_path(h, fuzz_path("plugins"), &err) == PK_OK);
  if (pk_host_discover(h, &err) != PK_OK) {
    char msg[1024];
    pk_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "discovery failed: %s\n", msg);
    CHECK(!"discovery fails only for want of memory");
  }
  size_t cap = 4096, len = 0;
  char *s = malloc(cap);
  CHECK(s);
  s[0] = '\0';
  for (size_t i = 0; i < pk_host_plugin_count(h); i++) {
    pk_plugin *p = pk_host_plugin_at(h, i);
    char why[1024] = "";
    const pk_error *e = pk_plugin_get_error(p);
    if (e)
      pk_error_format(e, why, sizeof why);
    const char *reqs = "";
    const pk_value *m = pk_plugin_get_manifest(p);
    const pk_value *r = m ? pk_table_get(m, "requires") : NULL;
    if (r && pk_array_count(r))
      pk_value_get_string(pk_array_at(r, 0), &reqs, NULL, NULL);
    size_t need = strlen(pk_plugin_get_id(p)) + strlen(why) +
                  strlen(pk_plugin_get_version(p)) +
                  strlen(pk_plugin_get_manifest_path(p)) + strlen(reqs) + 64;
    if (len + need > cap) {
      cap = 2 * (len + need);
      CHECK((s = realloc(s, cap)));
    }
    len += (size_t)snprintf(s + len, cap - len, "%s %d %s %s %s %d %s\n",
                            pk_plugin_get_id(p), (int)pk_plugin_get_state(p),
                            pk_plugin_get_version(p),
                            pk_plugin_get_manifest_path(p), reqs,
                            pk_plugin_get_layer(p), why);
  }
  pk_host_free(h);
  return s;
}

static void setup(void)
{
  if (cold)
    return;
  CHECK(mkdir(fuzz_path("plugins"), 0755) == 0);
  mkdir(fuzz_path("plugins/base"), 0755);
  mkdir(fuzz_path("plugins/mid"), 0755);
  mkdir(fuzz_path("plugins/other"), 0755);
  mkdir(fuzz_path("plugins/broken"), 0755);
  mkdir(fuzz_path("plugins/empty"), 0755);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    fuzz_write(fuzz_path(files[i][0]), files[i][1], strlen(files[i][1]));
  /* manifests changed in the last PK__MC_RACY_S seconds are not imaged */
  struct timespec t = {PK__MC_RACY_S, 200000000};
  nanosleep(&t, NULL);
  cold = discovered(NULL);
  char *warm = discovered(fuzz_path("real.cache"));
  CHECK(!strcmp(warm, cold));
  free(warm);
  warm = discovered(fuzz_path("real.cache")); /* served by the cache */
  CHECK(!strcmp(warm, cold));
  free(warm);
  FILE *f = fopen(fuzz_path("real.cache"), "rb");
  CHECK(f && fseek(f, 0, SEEK_END) == 0);
  real_len = (size_t)ftell(f);
  CHECK(real_len > 0 && (real = malloc(real_len)));
  rewind(f);
  CHECK(fread(real, 1, real_len, f) == real_len);
  fclose(f);
}

/* Whether the cache file's header has its reserved word set: a discovery
 * marked it damaged (an image it refused), for the next to rewrite. */
static bool marked_damaged(const char *cache)
{
  uint64_t word = 0;
  FILE *f = fopen(cache, "rb");
  bool read = f && fseek(f, 56, SEEK_SET) == 0 && /* (mcache.c: header) */
              fread(&word, sizeof word, 1, f) == 1;
  if (f)
    fclose(f);
  return read && word != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  setup();
  if (size < 1)
    return 0;
  bool raw = data[0] & 1, seal = data[0] & 2;
  char *file;
  size_t len;
  if (raw) {
    len = size - 1;
    CHECK((file = malloc(len + 1)));
    memcpy(file, data + 1, len);
  } else {
    len = real_len;
    CHECK((file = malloc(len)));
    memcpy(file, real, len);
    for (size_t i = 1; i + 3 <= size; i += 3)
      file[((size_t)data[i] << 8 | data[i + 1]) % len] ^= (char)data[i + 2];
  }
  if (seal)
    pk__mc_seal(file, len);
  const char *cache = fuzz_path("cache");
  fuzz_write(cache, file, len);
  free(file);
  char *first = discovered(cache);
  bool marked = marked_damaged(cache);
  char *second = discovered(cache);
  /* (a file the first marked damaged, for an image it refused, was
   * written again by the second: what a cold start finds) */
  CHECK(!strcmp(second, marked ? cold : first));
  if (!seal)
    CHECK(!strcmp(first, cold));
  free(first);
  free(second);
  return 0;
}
