/* test_pins.c -- issue 15, point 4: SHA-256 (src/sha256.c) against the
 * NIST example vectors and sha256sum; the lock file (written, enforced
 * through pk_host_options.lock_file and PLUGKIT_LOCK, checked); path
 * hygiene (modes, owners, a library leaving its plugin directory).  Each
 * test copies real fixture plugins (their shared objects) into a fresh
 * directory made with umask 022.
 * SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <plugkit.h>

#include "base.h"
#include "test_util.h"

#define FIX(set) PK_TEST_BINARY_DIR "/fixtures/" set

static char root[64];

static void make_root(void) { make_temp_root(root, sizeof root, "pk-pins"); }

static void remove_root(void) { remove_temp_root(root); }

/* ROOT/REL in a rotating buffer. */
static const char *at(const char *rel)
{
  static char paths[8][512];
  static int next;
  char *p = paths[next++ % 8];
  snprintf(p, 512, "%s/%s", root, rel);
  return p;
}

static void sh(const char *fmt, ...) PK__PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
  char cmd[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* ---- SHA-256 ---- */

TestSuite(sha256, .init = make_root, .fini = remove_root, .timeout = 60);

static const char *hex_of(const void *data, size_t n, size_t chunk)
{
  static char hex[65];
  unsigned char d[32];
  pk__sha256 s;
  pk__sha256_init(&s);
  const unsigned char *p = data;
  while (n) {
    size_t k = chunk && chunk < n ? chunk : n;
    pk__sha256_update(&s, p, k);
    p += k;
    n -= k;
  }
  pk__sha256_final(&s, d);
  pk__sha256_hex(d, hex);
  return hex;
}

/* FIPS 180-4's examples (the NIST "Example Algorithm" pages): one block,
 * two blocks (448 bits: the length no longer fits the first), one
 * million 'a', and the empty message; fed whole and in chunks of 1, 63
 * and 65 bytes so that every path of the buffering is taken. */
Test(sha256, nist_example_vectors)
{
  static const char two[] =
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  size_t million = 1000000;
  char *a = malloc(million);
  cr_assert_not_null(a);
  memset(a, 'a', million);
  size_t chunks[] = {0, 1, 63, 65};
  for (size_t c = 0; c < 4; c++) {
    cr_expect_str_eq(hex_of("abc", 3, chunks[c]),
                     "ba7816bf8f01cfea414140de5dae2223"
                     "b00361a396177a9cb410ff61f20015ad");
    cr_expect_str_eq(hex_of(two, strlen(two), chunks[c]),
                     "248d6a61d20638b8e5c026930c3e6039"
                     "a33ce45964ff2167f6ecedd419db06c1");
    cr_expect_str_eq(hex_of(a, million, chunks[c]),
                     "cdc76e5c9914fb9281a1c7e284d73e67"
                     "f1809a48a497200e046d39ccc7112cd0");
    cr_expect_str_eq(hex_of("", 0, chunks[c]),
                     "e3b0c44298fc1c149afbf4c8996fb924"
                     "27ae41e4649b934ca495991b7852b855");
  }
  free(a);
}

/* What sha256sum says of real files: every length around the block and
 * padding boundaries (0..200 bytes), and larger files (a shared object,
 * the test binary itself) through pk__sha256_fd. */
Test(sha256, agrees_with_sha256sum_on_real_files)
{
  char *files[210];
  size_t n = 0;
  for (size_t len = 0; len <= 200; len++) {
    char path[512];
    snprintf(path, sizeof path, "%s/f%03zu", root, len);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (size_t i = 0; i < len; i++)
      fputc((int)((i * 131 + len) & 0xff), f);
    fclose(f);
    files[n++] = strdup(path);
  }
  files[n++] = strdup(FIX("seed") "/black-one/libblack_one.so");
  files[n++] = strdup("/proc/self/exe");
  for (size_t i = 0; i < n; i++) {
    char cmd[600], want[65] = "", got[65];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", files[i]);
    if (!strcmp(files[i], "/proc/self/exe"))
      snprintf(cmd, sizeof cmd, "sha256sum /proc/%ld/exe", (long)getpid());
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    cr_assert_eq(fscanf(p, "%64s", want), 1, "%s", cmd);
    pclose(p);
    int fd = open(files[i], O_RDONLY);
    cr_assert_geq(fd, 0, "%s", files[i]);
    cr_assert_eq(pk__sha256_fd(fd, got), 0);
    close(fd);
    cr_expect_str_eq(got, want, "%s", files[i]);
    free(files[i]);
  }
}

/* ---- the lock file ---- */

TestSuite(pins, .init = make_root, .fini = remove_root, .timeout = 30);

/* Copies fixture seed/black-NAME into ROOT/sp/NAME (mode 755/644). */
static void install(const char *name)
{
  sh("mkdir -p '%s' && cp -r '%s/black-%s' '%s/%s'", at("sp"), FIX("seed"),
     name, at("sp"), name);
}

static pk_host *host_with(const char *lock, bool insecure, pk_error *err)
{
  pk_host_options o = {
      .size = sizeof o, .lock_file = lock, .insecure_paths = insecure};
  pk_host *h = NULL;
  cr_assert_eq(pk_host_new(&o, &h, err), PK_OK, "%s", err->message);
  cr_assert_eq(pk_host_add_path(h, at("sp"), err), PK_OK);
  return h;
}

/* Registers black:NAME in a new host; its status, err filled. */
static pk_status load(const char *name, const char *lock, bool insecure,
                      pk_error *err)
{
  pk_host *h = host_with(lock, insecure, err);
  char req[64];
  snprintf(req, sizeof req, "black:%s", name);
  const char *reqs[] = {req};
  pk_error_clear(err);
  pk_status st = pk_host_register(h, reqs, 1, NULL, 0, err);
  pk_host_free(h);
  return st;
}

static void write_lock(const char *path)
{
  pk_error err;
  pk_host *h = host_with(NULL, false, &err);
  cr_assert_eq(pk_host_write_lock(h, path, &err), PK_ESTATE, "discovery first");
  cr_assert_eq(pk_host_discover(h, &err), PK_OK);
  cr_assert_eq(pk_host_write_lock(h, path, &err), PK_OK, "%s", err.message);
  pk_host_free(h);
}

static void append_byte(const char *path)
{
  FILE *f = fopen(path, "a");
  cr_assert_not_null(f, "%s", path);
  fputc('\n', f);
  fclose(f);
}

Test(pins, lock_file_lists_each_plugin_with_its_hashes)
{
  install("three"); /* black:three has no requirements */
  install("four");
  const char *lock = at("plugkit.lock");
  write_lock(lock);
  pk_doc *doc = NULL;
  pk_error err;
  cr_assert_eq(pk_doc_load_file(lock, NULL, &doc, &err), PK_OK, "%s",
               err.message);
  const pk_value *list = pk_table_get(pk_doc_root(doc), "plugin");
  cr_assert_eq(pk_array_count(list), 2);
  const pk_value *t = pk_array_at(list, 0);
  const char *s;
  cr_assert_eq(pk_table_get_string(t, "id", &s, &err), PK_OK);
  cr_expect_str_eq(s, "black:four");
  char lib[512], cmd[700], want[65];
  snprintf(lib, sizeof lib, "%s/four/libblack_four.so", at("sp"));
  cr_assert_eq(pk_table_get_string(t, "library", &s, &err), PK_OK);
  cr_expect_str_eq(s, lib);
  snprintf(cmd, sizeof cmd, "sha256sum '%s'", lib);
  FILE *p = popen(cmd, "r");
  cr_assert(p && fscanf(p, "%64s", want) == 1);
  pclose(p);
  cr_assert_eq(pk_table_get_string(t, "library_sha256", &s, &err), PK_OK);
  cr_expect_str_eq(s, want);
  cr_assert_eq(pk_table_get_string(t, "manifest_sha256", &s, &err), PK_OK);
  cr_expect_eq(strlen(s), 64);
  pk_doc_free(doc);
  cr_expect_eq(load("three", lock, false, &err), PK_OK, "%s", err.message);
}

/* The lock file's temporary name (LOCK.tmp.PID) is created afresh: a
 * symlink planted there is replaced, not written through. */
Test(pins, a_symlink_at_the_temporary_name_is_not_followed)
{
  install("three");
  const char *lock = at("plugkit.lock"), *victim = at("victim");
  write_file(victim, "keep me\n");
  char link[600];
  snprintf(link, sizeof link, "%s.tmp.%ld", lock, (long)getpid());
  cr_assert_eq(symlink(victim, link), 0, "%s", strerror(errno));
  write_lock(lock);
  char *text = read_text(victim);
  cr_expect_str_eq(text, "keep me\n");
  free(text);
  struct stat sb;
  cr_expect_neq(lstat(link, &sb), 0, "the temporary name was renamed");
  pk_error err;
  cr_expect_eq(load("three", lock, false, &err), PK_OK, "%s", err.message);
}

Test(pins, a_changed_library_is_refused_naming_both_hashes)
{
  install("three");
  const char *lock = at("plugkit.lock");
  write_lock(lock);
  char lib[512];
  snprintf(lib, sizeof lib, "%s/three/libblack_three.so", at("sp"));
  char old[65], now[65];
  int fd = open(lib, O_RDONLY);
  pk__sha256_fd(fd, old);
  close(fd);
  append_byte(lib);
  fd = open(lib, O_RDONLY);
  pk__sha256_fd(fd, now);
  close(fd);
  pk_error err;
  cr_assert_eq(load("three", lock, false, &err), PK_ETRUST);
  char msg[2048];
  pk_error_format(&err, msg, sizeof msg);
  cr_expect(strstr(msg, lock), "%s", msg);
  cr_expect(strstr(msg, lib), "%s", msg);
  cr_expect(strstr(msg, old) && strstr(msg, now), "%s", msg);
  cr_expect(strstr(msg, "run `plugkit lock -o"), "%s", msg);
  cr_expect_str_eq(err.plugin, "black:three");
  cr_expect_gt(err.line, 0, "the library_sha256 line: %s", msg);
}

Test(pins, a_changed_manifest_is_refused)
{
  install("three");
  const char *lock = at("plugkit.lock");
  write_lock(lock);
  append_byte(at("sp/three/plugin.toml"));
  pk_error err;
  cr_assert_eq(load("three", lock, false, &err), PK_ETRUST);
  cr_expect(strstr(err.message, "plugin.toml has SHA-256"), "%s", err.message);
  cr_expect(strstr(err.message, "but the lock file expects"), "%s",
            err.message);
}

Test(pins, a_plugin_not_in_the_lock_is_refused)
{
  install("three");
  const char *lock = at("plugkit.lock");
  write_lock(lock);
  install("four");
  pk_error err;
  cr_assert_eq(load("four", lock, false, &err), PK_ETRUST);
  char msg[2048];
  pk_error_format(&err, msg, sizeof msg);
  cr_expect(strstr(msg, "plugin black:four ("), "%s", msg);
  cr_expect(strstr(msg, "is not in the lock file"), "%s", msg);
  cr_expect(strstr(msg, lock), "%s", msg);
  cr_expect_eq(load("three", lock, false, &err), PK_OK, "%s", err.message);
}

Test(pins, plugkit_lock_env_enforces_the_lock)
{
  install("three");
  const char *lock = at("plugkit.lock");
  write_lock(lock);
  append_byte(at("sp/three/libblack_three.so"));
  pk_error err;
  cr_expect_eq(load("three", NULL, false, &err), PK_OK, "no lock: %s",
               err.message);
  setenv("PLUGKIT_LOCK", lock, 1);
  cr_expect_eq(load("three", NULL, false, &err), PK_ETRUST);
  cr_expect(strstr(err.message, "libblack_three.so has SHA-256"), "%s",
            err.message);
  unsetenv("PLUGKIT_LOCK");
}

Test(pins, a_lazy_plugin_is_hashed_when_it_is_woken)
{
  install("three");
  const char *lock = at("plugkit.lock");
  sh("printf 'lazy = true\\nhooks = [\"on_x\"]\\n' >> '%s'",
     at("sp/three/plugin.toml"));
  write_lock(lock);
  append_byte(at("sp/three/libblack_three.so"));
  pk_error err;
  pk_host *h = host_with(lock, false, &err);
  const char *reqs[] = {"black:three"};
  cr_assert_eq(pk_host_register(h, reqs, 1, NULL, 0, &err), PK_OK, "%s",
               err.message);
  pk_plugin *p = pk_host_find_plugin(h, "black:three");
  cr_expect_neq(pk_plugin_get_state(p), PK_STATE_FAILED,
                "not loaded yet, not hashed yet");
  pk_host_free(h);
}

Test(pins, check_lists_every_difference)
{
  install("three");
  install("four");
  install("eight");
  const char *lock = at("plugkit.lock");
  write_lock(lock);
  append_byte(at("sp/three/libblack_three.so")); /* changed */
  sh("rm -r '%s'", at("sp/four"));               /* removed */
  install("five");                               /* added */
  pk_error err;
  pk_host *h = host_with(NULL, false, &err);
  cr_assert_eq(pk_host_discover(h, &err), PK_OK);
  pk_diag *diag = NULL;
  cr_assert_eq(pk_diag_new(NULL, &diag, &err), PK_OK);
  cr_assert_eq(pk_host_check_lock(h, lock, diag, &err), PK_ETRUST);
  cr_assert_eq(pk_diag_count(diag), 3);
  char all[6000] = "";
  for (size_t i = 0; i < 3; i++) {
    char msg[2000];
    pk_error_format(pk_diag_at(diag, i), msg, sizeof msg);
    strcat(all, msg);
    strcat(all, "\n");
  }
  cr_expect(strstr(all, "libblack_three.so has SHA-256"), "%s", all);
  cr_expect(strstr(all, "black:four is in the lock file but was not found"),
            "%s", all);
  cr_expect(strstr(all, "black:five ("), "%s", all);
  cr_expect(strstr(all, "is not in the lock file"), "%s", all);
  pk_diag_clear(diag);
  write_lock(lock);
  cr_expect_eq(pk_host_check_lock(h, lock, diag, &err), PK_OK, "%s",
               err.message);
  pk_diag_free(diag);
  pk_host_free(h);
}

Test(pins, a_malformed_lock_file_fails_discovery_with_its_position)
{
  install("three");
  const char *lock = at("plugkit.lock");
  write_file(lock, "version = 1\n[[plugin]]\nid = \"black:three\"\n"
                   "manifest = \"x\"\nmanifest_sha = \"00\"\n");
  pk_error err;
  pk_host *h = host_with(lock, false, &err);
  cr_assert_eq(pk_host_discover(h, &err), PK_ECONFIG);
  cr_expect_str_eq(err.source, lock);
  cr_expect_eq(err.line, 5);
  cr_expect(strstr(err.message, "did you mean \"manifest_sha256\""), "%s",
            err.message);
  pk_host_free(h);
  write_file(lock, "version = 2\n");
  h = host_with(lock, false, &err);
  cr_assert_eq(pk_host_discover(h, &err), PK_ECONFIG);
  cr_expect(strstr(err.message, "lock file version 2"), "%s", err.message);
  pk_host_free(h);
  h = host_with(at("nowhere.lock"), false, &err);
  cr_assert_neq(pk_host_discover(h, &err), PK_OK);
  cr_expect(strstr(err.source, "nowhere.lock") ||
                strstr(err.message, "nowhere.lock"),
            "%s", err.message);
  cr_expect(strstr(err.message, "a lock file is written by `plugkit lock`"),
            "%s", err.message);
  pk_host_free(h);
}

Test(pins, a_plugin_listed_twice_in_the_lock_file_is_refused_at_the_second)
{
  install("three");
  const char *lock = at("plugkit.lock");
  write_lock(lock);
  /* the file's [[plugin]] table once more after itself */
  sh("sed -n '/^\\[\\[plugin\\]\\]/,$p' %s > %s.one && cat %s.one >> %s", lock,
     lock, lock, lock);
  pk_error err;
  pk_host *h = host_with(lock, false, &err);
  cr_assert_eq(pk_host_discover(h, &err), PK_ECONFIG);
  cr_expect_str_eq(err.source, lock);
  cr_expect(strstr(err.message, "plugin black:three is listed twice"), "%s",
            err.message);
  cr_expect_gt(err.line, 3, "the second entry: %s", err.message);
  pk_host_free(h);
}

/* ---- path hygiene ---- */

TestSuite(hygiene, .init = make_root, .fini = remove_root, .timeout = 30);

static void expect_refused(const char *path, const char *what)
{
  pk_error err;
  cr_assert_eq(load("three", NULL, false, &err), PK_ETRUST, "%s", what);
  cr_expect(strstr(err.message, path), "%s: %s", what, err.message);
  cr_expect(strstr(err.message, what), "%s", err.message);
  cr_expect_str_eq(err.plugin, "black:three");
  cr_expect_eq(load("three", NULL, true, &err), PK_OK, "opted out: %s",
               err.message);
  setenv("PLUGKIT_INSECURE_PATHS", "1", 1);
  cr_expect_eq(load("three", NULL, false, &err), PK_OK,
               "PLUGKIT_INSECURE_PATHS=1: %s", err.message);
  unsetenv("PLUGKIT_INSECURE_PATHS");
}

Test(hygiene, healthy_modes_load)
{
  install("three");
  pk_error err;
  cr_expect_eq(load("three", NULL, false, &err), PK_OK, "%s", err.message);
}

Test(hygiene, a_group_writable_plugin_directory_is_refused)
{
  install("three");
  chmod(at("sp/three"), 0775);
  expect_refused(at("sp/three"), "has mode 0775: its group can write it");
  pk_error err;
  load("three", NULL, false, &err);
  char want[600];
  snprintf(want, sizeof want, "run `chmod go-w %s`", at("sp/three"));
  cr_expect(strstr(err.message, want), "%s", err.message);
}

Test(hygiene, a_world_writable_manifest_is_refused)
{
  install("three");
  chmod(at("sp/three/plugin.toml"), 0666);
  expect_refused(at("sp/three/plugin.toml"), "has mode 0666: anyone can");
}

Test(hygiene, a_group_writable_library_is_refused)
{
  install("three");
  chmod(at("sp/three/libblack_three.so"), 0775);
  expect_refused(at("sp/three/libblack_three.so"), "the library");
}

Test(hygiene, a_file_of_another_user_is_refused)
{
  install("three");
  if (geteuid() != 0 && chown(at("sp/three/libblack_three.so"), 12345, -1) != 0)
    cr_skip_test("chown needs root here");
  cr_assert_eq(chown(at("sp/three/libblack_three.so"), 12345, (gid_t)-1), 0);
  expect_refused(at("sp/three/libblack_three.so"), "is owned by uid 12345");
}

Test(hygiene, a_library_symlinked_outside_its_directory_is_refused)
{
  install("three");
  sh("mv '%s' '%s' && ln -s '%s' '%s'", at("sp/three/libblack_three.so"),
     at("elsewhere.so"), at("elsewhere.so"), at("sp/three/libblack_three.so"));
  pk_error err;
  cr_assert_eq(load("three", NULL, true, &err), PK_ETRUST,
               "refused even when the host opts out of the modes");
  cr_expect(strstr(err.message, "outside its plugin directory"), "%s",
            err.message);
  cr_expect(strstr(err.message, "elsewhere.so"), "%s", err.message);
}

/* check_inside() resolves the plugin directory once and a library that
 * is no symbolic link as that directory + its name (one walk of the path):
 * the same verdicts as resolving both paths in full. */
Test(hygiene, a_symlinked_plugin_directory_with_a_plain_library_is_fine)
{
  sh("mkdir -p '%s' '%s' && cp -r '%s/black-three' '%s/three' && "
     "ln -s '%s' '%s'",
     at("sp"), at("real"), FIX("seed"), at("real"), at("real/three"),
     at("sp/three"));
  pk_error err;
  cr_expect_eq(load("three", NULL, false, &err), PK_OK, "%s", err.message);
}

Test(hygiene, a_link_outside_from_a_symlinked_plugin_directory_is_refused)
{
  sh("mkdir -p '%s' '%s' && cp -r '%s/black-three' '%s/three' && "
     "ln -s '%s' '%s'",
     at("sp"), at("real"), FIX("seed"), at("real"), at("real/three"),
     at("sp/three"));
  sh("mv '%s' '%s' && ln -s '%s' '%s'", at("real/three/libblack_three.so"),
     at("elsewhere.so"), at("elsewhere.so"),
     at("real/three/libblack_three.so"));
  pk_error err;
  cr_assert_eq(load("three", NULL, true, &err), PK_ETRUST, "%s", err.message);
  cr_expect(strstr(err.message, "outside its plugin directory"), "%s",
            err.message);
  cr_expect(strstr(err.message, "elsewhere.so"), "%s", err.message);
}

Test(hygiene, a_library_named_dot_dot_is_refused_as_outside)
{
  install("three");
  sh("sed -i 's/^library = .*/library = \"..\"/' '%s'",
     at("sp/three/plugin.toml"));
  pk_error err;
  cr_assert_eq(load("three", NULL, true, &err), PK_ETRUST, "%s", err.message);
  cr_expect(strstr(err.message, "outside its plugin directory"), "%s",
            err.message);
}

Test(hygiene, a_symlinked_plugin_directory_and_a_link_inside_it_are_fine)
{
  sh("mkdir -p '%s' '%s' && cp -r '%s/black-three' '%s/three'", at("sp"),
     at("real"), FIX("seed"), at("real"));
  sh("cd '%s' && mv libblack_three.so libreal.so && "
     "ln -s libreal.so libblack_three.so && ln -s '%s' '%s'",
     at("real/three"), at("real/three"), at("sp/three"));
  pk_error err;
  cr_expect_eq(load("three", NULL, false, &err), PK_OK, "%s", err.message);
}
