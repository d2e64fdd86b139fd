/* test_headers.c -- the public headers keep their own rules (issue 13,
 * point 4): every PK_API declaration's comment (or the comment heading its
 * group) carries a [thread:], a [fails:] and a [since:] tag from the
 * vocabulary defined once, at the top of plugkit.h ("TAGS."), and says who
 * owns a pointer it hands over.  The vocabulary is read from plugkit.h
 * itself, so that the definition and the check cannot drift apart.
 * SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define INCLUDE_DIR PK_TEST_SOURCE_DIR "/../include"

/* The vocabulary: words (space-separated, each surrounded by spaces). */
typedef struct vocab {
  char thread[128]; /* " any host frozen " */
  char fails[512];  /* " never mem io ... " */
} vocab;

static bool has_word(const char *list, const char *w, size_t len)
{
  for (const char *p = list; *p; p++)
    if (p > list && p[-1] == ' ' && !strncmp(p, w, len) && p[len] == ' ')
      return true;
  return false;
}

/* Reads the TAGS block of plugkit.h: the [thread: WORD] it defines and the
 * failure words listed on its lines indented by seven spaces. */
static void read_vocab(const char *text, vocab *v)
{
  const char *start = strstr(text, " * TAGS.");
  cr_assert_not_null(start, "plugkit.h defines no TAGS block");
  const char *end = strstr(start, "*/");
  cr_assert_not_null(end);
  snprintf(v->thread, sizeof v->thread, " ");
  snprintf(v->fails, sizeof v->fails, " never ");
  for (const char *p = start; p < end;) {
    const char *nl = strchr(p, '\n');
    size_t len = (size_t)(nl - p);
    const char *t = strstr(p, "[thread: ");
    if (t && t < nl && t - p < 8) { /* a definition, starting its line */
      t += 9;
      size_t w = strcspn(t, "]");
      strncat(v->thread, t, w);
      strcat(v->thread, " ");
    }
    if (len > 8 && !strncmp(p, " *       ", 9) && islower((unsigned char)p[9])) {
      strncat(v->fails, p + 9, len - 9);
      strcat(v->fails, " ");
    }
    p = nl + 1;
  }
  cr_assert(has_word(v->thread, "any", 3) && has_word(v->thread, "host", 4),
            "thread words: %s", v->thread);
  cr_assert(has_word(v->fails, "mem", 3), "failure words: %s", v->fails);
}

/* Appends a problem to out. */
static void problem(char *out, size_t n, const char *file, const char *decl,
                    const char *what)
{
  size_t used = strlen(out);
  if (used + 1 < n)
    snprintf(out + used, n - used, "  %s: %s: %s\n", file, decl, what);
}

/* The text of tag NAME ("[fails: ") in comment c into buf; false when
 * absent. */
static bool tag(const char *c, const char *name, char *buf, size_t n)
{
  const char *p = strstr(c, name);
  if (!p)
    return false;
  p += strlen(name);
  size_t len = 0;
  buf[0] = '\0';
  for (; *p && *p != ']' && len + 1 < n; p++) {
    if (*p == '\n' || *p == '*') /* a tag wrapped over lines */
      continue;
    if (*p == ' ' && len && buf[len - 1] == ' ')
      continue;
    buf[len++] = *p;
  }
  buf[len] = '\0';
  return *p == ']';
}

static void check_decl(const vocab *v, const char *file, const char *decl,
                       const char *comment, char *out, size_t n)
{
  char name[128] = "?", t[256];
  const char *paren = strchr(decl, '(');
  if (paren) {
    const char *e = paren;
    while (e > decl && (isalnum((unsigned char)e[-1]) || e[-1] == '_'))
      e--;
    snprintf(name, sizeof name, "%.*s", (int)(paren - e), e);
  }
  if (!comment[0]) {
    problem(out, n, file, name, "no comment");
    return;
  }
  if (!tag(comment, "[thread: ", t, sizeof t))
    problem(out, n, file, name, "no [thread: ...] tag");
  else if (!has_word(v->thread, t, strcspn(t, ",;")))
    problem(out, n, file, name, "[thread:] not one of the vocabulary");
  if (!tag(comment, "[fails: ", t, sizeof t))
    problem(out, n, file, name, "no [fails: ...] tag");
  else
    for (char *w = strtok(t, "| "); w; w = strtok(NULL, "| "))
      if (!has_word(v->fails, w, strlen(w))) {
        char msg[200];
        snprintf(msg, sizeof msg, "[fails:] word \"%s\" is not in the "
                                  "vocabulary", w);
        problem(out, n, file, name, msg);
      }
  int major, minor;
  if (!tag(comment, "[since: ", t, sizeof t) ||
      sscanf(t, "%d.%d", &major, &minor) != 2)
    problem(out, n, file, name, "no [since: X.Y] tag");
  /* a pointer handed over: returned, or through an out parameter */
  bool hands = paren && (memchr(decl, '*', (size_t)(paren - decl)) ||
                         strstr(paren, "**"));
  if (hands && !strstr(comment, "borrowed") && !strstr(comment, "Borrowed") &&
      !strstr(comment, "static") && !strstr(comment, "caller owns"))
    problem(out, n, file, name, "hands a pointer over without saying whose "
                                "(borrowed, static or caller owns)");
}

/* Walks a header: comment blocks starting at column 0, PK_API declarations
 * (up to their ';'), anything else ending the comment's reach. */
static size_t check_header(const vocab *v, const char *file, char *out,
                           size_t n)
{
  char path[512];
  snprintf(path, sizeof path, "%s/%s", INCLUDE_DIR, file);
  char *text = read_text(path);
  char *comment = calloc(1, strlen(text) + 1), *decl = calloc(1, 4096);
  size_t count = 0;
  for (char *p = text; *p;) {
    char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (!strncmp(p, "/*", 2)) { /* a block comment: up to its end */
      char *end = strstr(p, "*/");
      cr_assert_not_null(end);
      snprintf(comment, (size_t)(end - p) + 3, "%s", p);
      nl = strchr(end, '\n');
    } else if (!strncmp(p, "PK_API", 6)) {
      char *semi = strchr(p, ';');
      cr_assert_not_null(semi);
      snprintf(decl, 4096, "%.*s", (int)(semi - p), p);
      check_decl(v, file, decl, comment, out, n);
      count++;
      nl = strchr(semi, '\n');
    } else if (len && strspn(p, " \t") < len) {
      comment[0] = '\0'; /* code: the comment above was about it */
    }
    if (!nl)
      break;
    p = nl + 1;
  }
  free(comment);
  free(decl);
  free(text);
  return count;
}

Test(headers, every_declaration_tagged_from_the_vocabulary)
{
  char *top = read_text(INCLUDE_DIR "/plugkit.h");
  vocab v;
  read_vocab(top, &v);
  free(top);
  static char out[16384];
  out[0] = '\0';
  size_t n = check_header(&v, "plugkit.h", out, sizeof out) +
             check_header(&v, "plugkit/toml.h", out, sizeof out) +
             check_header(&v, "plugkit/config.h", out, sizeof out);
  cr_expect_gt(n, 150, "only %zu PK_API declarations found", n);
  cr_expect_str_empty(out, "declarations against the TAGS of plugkit.h:\n%s",
                      out);
}

/* The vocabulary is defined once: the other headers refer to it. */
Test(headers, vocabulary_defined_once)
{
  const char *others[] = {"plugkit/toml.h", "plugkit/config.h",
                          "plugkit/plugin.h"};
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", INCLUDE_DIR, others[i]);
    char *text = read_text(path);
    cr_expect_null(strstr(text, "TAGS."), "%s defines tags again",
                   others[i]);
    free(text);
  }
}
