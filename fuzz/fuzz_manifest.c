/* fuzz_manifest.c -- libFuzzer target: any bytes as a plugin.toml, read the
 * way discovery reads one (the loader's arena allocator): it loads with
 * valid names, a version and positioned requirements, or fails with
 * PK_EMANIFEST (or PK_ERANGE) and a message.  A manifest that loads is
 * then recorded and imaged and read back as the metadata cache serves it
 * (from its record, the image in place), which must give the same
 * manifest and document.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "stages.h"

#include "fuzz.h"

static void check_same(const pk__manifest *a, const pk__manifest *b)
{
  CHECK(!strcmp(a->name, b->name) && !strcmp(a->ns, b->ns));
  CHECK(!strcmp(a->version_text, b->version_text));
  CHECK(!pk__mversion_cmp(&a->version, &b->version));
  CHECK(!strcmp(a->description, b->description));
  CHECK(!a->library == !b->library &&
        (!a->library || !strcmp(a->library, b->library)));
  CHECK(a->has_abi == b->has_abi && (!a->has_abi || a->abi == b->abi));
  CHECK(a->lazy == b->lazy && a->nreq == b->nreq);
  for (size_t i = 0; i < a->nreq; i++) {
    CHECK(!strcmp(a->reqs[i].text, b->reqs[i].text));
    CHECK(a->reqs[i].optional == b->reqs[i].optional);
    CHECK(a->reqs[i].idx == b->reqs[i].idx);
  }
  CHECK(a->has == b->has);
}

static void check_loaded(const pk__manifest *m)
{
  CHECK(m->doc && m->root);
  CHECK(m->name && pk__name_valid(m->name, strlen(m->name)));
  CHECK(m->ns && pk__name_valid(m->ns, strlen(m->ns)));
  CHECK(m->version_text && m->description);
  for (size_t i = 0; i < m->nreq; i++) {
    pk__req r;
    char why[256];
    CHECK(m->reqs[i].text && pk_value_get_pos(m->reqs[i].value).line >= 1);
    CHECK(pk__req_parse(m->reqs[i].text, &r, why, sizeof why) == PK_OK);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char source[] = "plugins/fuzz/plugin.toml";
  pk__allocator libc = {NULL, NULL};
  pk__arena ar;
  pk__arena_init(&ar, &libc);
  pk__allocator a = {pk__arena_fn, &ar};
  pk__manifest m;
  pk_error err;
  pk_status st = pk__manifest_load(&a, source, (const char *)data, size, &m,
                                   &err);
  if (st != PK_OK) {
    CHECK(err.code == st && err.message[0]);
    CHECK(st == PK_EMANIFEST || st == PK_ERANGE || st == PK_ENOMEM);
    CHECK(st != PK_EMANIFEST || !err.line || err.col >= 1);
    pk__arena_release(&ar);
    return 0;
  }
  check_loaded(&m);
  /* as the metadata cache keeps and serves it */
  size_t len = pk__doc_write_image(m.doc, NULL, NULL, 0),
         rec_len = pk__manifest_record(&m, NULL, 0);
  void *img = len ? pk__alloc(&libc, len) : NULL,
       *rec = rec_len ? pk__alloc(&libc, rec_len) : NULL;
  if (img && rec) {
    pk__doc_write_image(m.doc, NULL, img, len);
    CHECK(pk__manifest_record(&m, rec, rec_len) == rec_len);
    pk__manifest m2, m3;
    pk_doc *doc = NULL;
    CHECK(pk__manifest_from_record(&a, rec, rec_len, &m2) == PK_OK);
    check_same(&m, &m2);
    CHECK(pk__doc_load_image(&a, source, img, len, &doc) == PK_OK);
    CHECK(pk__manifest_from_doc(&a, doc, &m3, &err) == PK_OK);
    check_same(&m, &m3);
    pk__manifest_free(&a, &m3);
    pk__manifest_free(&a, &m2);
  }
  pk__free(&libc, rec, rec_len);
  pk__free(&libc, img, len);
  pk__manifest_free(&a, &m);
  pk__arena_release(&ar);
  return 0;
}
