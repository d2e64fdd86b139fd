/* toml_parse.c -- P4: plugkit's TOML reader on a W4 document (issue 2).
 * SPDX-License-Identifier: MIT
 *
 *   toml_parse FILE LABEL [once]
 *
 * Prints, in the peers' format (MB = 10^6 bytes; median of BENCH_REPS,
 * default 5, after one untimed warm-up):
 *   p4.pk.parse LABEL <MB/s> MB/s      pk_doc_load_file: read from the
 *                                      page cache and parse
 *   p4.pk.parse_mem LABEL <MB/s> MB/s  pk_doc_parse of the text already in
 *                                      memory (it copies it once)
 * pk_doc_free runs outside the timed region, as the peers destroy their
 * trees outside theirs (toml++ after its clock stops, tomllib at exit).
 * With "once" it loads the file a single time and prints nothing (for the
 * peak-RSS run under /usr/bin/time); with "floor" it only starts and exits
 * (the process's own peak RSS, to subtract). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <plugkit.h>

#include "bench.h"

static int fail(const pk_error *err)
{
  char buf[1024];
  pk_error_format(err, buf, sizeof buf);
  fprintf(stderr, "toml_parse: %s\n", buf);
  return 1;
}

int main(int argc, char **argv)
{
  int reps = bench_reps(5), mode, r;
  double *t;
  size_t len = 0;
  char *text = NULL;
  pk_doc *doc;
  pk_error err;

  if (argc < 3) {
    fprintf(stderr, "usage: %s FILE LABEL [once | floor]\n", argv[0]);
    return 2;
  }
  if (argc > 3 && !strcmp(argv[3], "floor"))
    return pk_version()[0] ? 0 : 1; /* linked and loaded, nothing parsed */
  if (argc > 3 && !strcmp(argv[3], "once")) {
    if (pk_doc_load_file(argv[1], NULL, &doc, &err) != PK_OK)
      return fail(&err);
    if (pk_table_count(pk_doc_root(doc)) == 0) {
      fprintf(stderr, "toml_parse: empty document?\n");
      return 1;
    }
    pk_doc_free(doc);
    return 0;
  }
  if (reps < 1)
    reps = 1;
  t = malloc((size_t)reps * sizeof *t);
  for (mode = 0; mode < 2; mode++) {
    if (mode == 1)
      text = bench_slurp(argv[1], &len);
    for (r = -1; r < reps; r++) {
      double t0 = bench_now_s();
      pk_status st = mode == 0
                         ? pk_doc_load_file(argv[1], NULL, &doc, &err)
                         : pk_doc_parse(text, len, argv[1], NULL, &doc, &err);
      double dt = bench_now_s() - t0;
      if (st != PK_OK)
        return fail(&err);
      if (pk_table_count(pk_doc_root(doc)) == 0) {
        fprintf(stderr, "toml_parse: empty document?\n");
        return 1;
      }
      pk_doc_free(doc);
      if (r >= 0)
        t[r] = dt;
    }
    if (mode == 0) { /* the size the MB/s refer to */
      free(bench_slurp(argv[1], &len));
    }
    printf("%s %s %.6g MB/s\n", mode == 0 ? "p4.pk.parse" : "p4.pk.parse_mem",
           argv[2], (double)len / 1e6 / bench_median(t, reps));
    fflush(stdout);
  }
  free(text);
  free(t);
  return 0;
}
