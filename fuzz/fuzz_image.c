/* fuzz_image.c -- libFuzzer target: document images (the metadata cache's
 * form of a parsed manifest) damaged any way load in bounds or are
 * refused.  The input is TOML text; when it parses, its image is damaged
 * by the input's own bytes (each 4-byte group from the end: a 16-bit
 * offset, a mask, and whether to stop), loaded, and read in full.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "toml/toml.h"

#include "fuzz.h"

static volatile size_t sink; /* what is read, so that reading is not elided */

/* Reads every part of n a reader can reach. */
static void walk(const toml_node *n, int depth)
{
  CHECK(depth <= 2 * TOML_MAX_DEPTH + 4);
  toml_pos p = toml_node_pos(n);
  sink += (size_t)p.line + (size_t)p.col;
  size_t len, count = toml_node_count(n);
  toml_datetime dt;
  switch (toml_node_kind(n)) {
  case TOML_STRING:
    sink += (unsigned char)toml_node_string(n, &len)[len];
    break;
  case TOML_INTEGER: sink += (size_t)toml_node_integer(n); break;
  case TOML_FLOAT: sink += (size_t)(toml_node_float(n) != 0); break;
  case TOML_BOOL: sink += toml_node_bool(n); break;
  case TOML_TABLE:
    for (size_t i = 0; i < count; i++) {
      const char *key;
      const toml_node *v = toml_table_entry_at(n, i, &key, &len);
      CHECK(v && key[len] == '\0');
      sink += (size_t)toml_table_key_pos_at(n, i).line;
      sink += toml_table_get(n, key, len) != NULL;
      walk(v, depth + 1);
    }
    break;
  case TOML_ARRAY:
    for (size_t i = 0; i < count; i++)
      walk(toml_node_at(n, i), depth + 1);
    break;
  default:
    toml_node_datetime(n, &dt);
    sink += (size_t)dt.year;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  toml_doc *d = toml_doc_new(NULL, NULL, "fuzz.toml");
  char *buf = d ? toml_doc_buffer(d, size) : NULL;
  if (!buf) {
    toml_doc_free(d);
    return 0;
  }
  memcpy(buf, data, size);
  size_t len;
  void *img = NULL;
  if (toml_doc_parse(d, size, TOML_1_1, NULL) == TOML_OK &&
      (len = toml_doc_image(d, NULL, 0)) > 0 &&
      (img = aligned_alloc(8, len)) != NULL) {
    CHECK(toml_doc_image(d, img, len) == len);
    unsigned char *b = img;
    for (size_t k = size; k >= 4; k -= 4) { /* damage, from the end */
      const uint8_t *g = data + k - 4;
      b[((size_t)g[0] << 8 | g[1]) % len] ^= g[2];
      if (g[3] & 1)
        break;
    }
    toml_doc *c = toml_doc_new(NULL, NULL, "fuzz.toml");
    CHECK(c);
    toml_status st = toml_doc_from_image(c, img, len);
    CHECK(st == TOML_OK || st == TOML_ESYNTAX);
    if (st == TOML_OK)
      walk(toml_doc_root(c), 0);
    toml_doc_free(c);
  }
  free(img);
  toml_doc_free(d);
  return 0;
}
