/* stress.h -- lets a Criterion test file also build as a plain program
 * (PK_STRESS_MAIN) for the ThreadSanitizer step of scripts/test.sh, where
 * Criterion's runner does not start.  The program prints the same
 * "Synthesis" line as Criterion.
 * SPDX-License-Identifier: MIT */
#ifndef PK_STRESS_H
#define PK_STRESS_H

#ifdef PK_STRESS_MAIN
#include <stdio.h>
#include <string.h>
static int stress_failures;
#define STRESS_CHECK(cond)                                                     \
  do {                                                                         \
    if (!(cond)) {                                                             \
      stress_failures++;                                                       \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)
#define cr_assert(cond, ...) STRESS_CHECK(cond)
#define cr_expect(cond, ...) STRESS_CHECK(cond)
#define cr_assert_eq(a, b, ...) STRESS_CHECK((a) == (b))
#define cr_expect_eq(a, b, ...) STRESS_CHECK((a) == (b))
#define cr_expect_gt(a, b, ...) STRESS_CHECK((a) > (b))
#define cr_assert_not_null(p, ...) STRESS_CHECK((p) != NULL)
#define cr_expect_str_eq(a, b, ...) STRESS_CHECK(strcmp((a), (b)) == 0)
#define Test(suite, name, ...) static void suite##_##name(void)

typedef struct stress_test {
  const char *name;
  void (*fn)(void);
} stress_test;

/* Runs the tests; the process exit status. */
static inline int stress_run(const stress_test *tests, int n)
{
  int passed = 0;
  for (int i = 0; i < n; i++) {
    int before = stress_failures;
    tests[i].fn();
    int ok = stress_failures == before;
    passed += ok;
    printf("%s %s\n", ok ? "[PASS]" : "[FAIL]", tests[i].name);
  }
  printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | "
         "Crashing: 0\n",
         n, passed, n - passed);
  return passed == n ? 0 : 1;
}

/* The program's main: STRESS_MAIN(STRESS_TEST(suite, name), ...) runs the
 * tests Test(suite, name) defined. */
#define STRESS_TEST(suite, name) {#suite "::" #name, suite##_##name}
#define STRESS_MAIN(...)                                                       \
  int main(void)                                                               \
  {                                                                            \
    static const stress_test tests[] = {__VA_ARGS__};                          \
    return stress_run(tests, (int)(sizeof tests / sizeof tests[0]));           \
  }
#else
#include <criterion/criterion.h>
#endif

#endif
