/* vec.c -- the one growable-array helper.
 * SPDX-License-Identifier: MIT */
#include "base.h"

pk_status pk__vec_reserve(const pk__allocator *a, void **items, size_t *cap,
                          size_t need, size_t elem)
{
  if (need <= *cap)
    return PK_OK;
  size_t ncap = *cap ? *cap : 8;
  while (ncap < need)
    ncap *= 2;
  if (ncap > SIZE_MAX / elem)
    return PK_ENOMEM;
  void *p = pk__resize(a, *items, *cap * elem, ncap * elem);
  if (!p)
    return PK_ENOMEM;
  *items = p;
  *cap = ncap;
  return PK_OK;
}
