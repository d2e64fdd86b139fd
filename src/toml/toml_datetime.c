/* toml_datetime.c -- offset/local date-times, local dates and local times.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "toml_impl.h"

static int num(const char *p, int n)
{
  int v = 0, i;
  for (i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

static int days_in_month(int year, int month)
{
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
    return 29;
  return days[month - 1];
}

/* Scans a date, time or date-time at p (RFC 3339 as TOML restricts it).
 * Returns the end, or NULL with *bad (where) and *why (what) set. */
static const char *dt_scan(const char *p, toml_datetime *dt, bool v11,
                           const char **bad, const char **why)
{
  const char *q = p;
  bool has_date = false;
  memset(dt, 0, sizeof *dt);
  if (num(q, 4) >= 0 && q[4] == '-') {
    dt->year = num(q, 4);
    dt->month = q[7] == '-' ? num(q + 5, 2) : -1;
    dt->day = dt->month >= 0 ? num(q + 8, 2) : -1;
    if (dt->month < 0 || dt->day < 0) {
      *bad = q;
      *why = "expected a date as YYYY-MM-DD";
      return NULL;
    }
    if (dt->month < 1 || dt->month > 12) {
      *bad = q + 5;
      *why = "month must be 01 to 12";
      return NULL;
    }
    if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month)) {
      *bad = q + 8;
      *why = "day out of range for the month";
      return NULL;
    }
    q += 10;
    has_date = true;
    if (*q == 'T' || *q == 't') {
      q++;
      if (num(q, 2) < 0 || q[2] != ':') {
        *bad = q;
        *why = "expected a time as HH:MM:SS after 'T'";
        return NULL;
      }
    } else if (*q == ' ' && num(q + 1, 2) >= 0 && q[3] == ':') {
      q++;
    } else {
      dt->kind = TOML_DATE_LOCAL;
      return q;
    }
  }
  dt->hour = num(q, 2);
  dt->minute = q[2] == ':' ? num(q + 3, 2) : -1;
  if (dt->hour < 0 || dt->minute < 0) {
    *bad = q;
    *why = "expected a time as HH:MM:SS";
    return NULL;
  }
  if (dt->hour > 23) {
    *bad = q;
    *why = "hour must be 00 to 23";
    return NULL;
  }
  if (dt->minute > 59) {
    *bad = q + 3;
    *why = "minute must be 00 to 59";
    return NULL;
  }
  q += 5;
  if (*q == ':') {
    dt->second = num(q + 1, 2);
    if (dt->second < 0 || dt->second > 60) {
      *bad = q + 1;
      *why = dt->second < 0 ? "expected two digits of seconds"
                            : "second must be 00 to 60";
      return NULL;
    }
    q += 3;
    if (*q == '.') {
      int digits = 0;
      q++;
      if (*q < '0' || *q > '9') {
        *bad = q;
        *why = "expected digits after the decimal point of the seconds";
        return NULL;
      }
      for (; *q >= '0' && *q <= '9'; q++, digits++)
        if (digits < 9)
          dt->nanosecond = dt->nanosecond * 10 + (*q - '0');
      dt->precision = digits < 9 ? digits : 9;
      for (; digits < 9; digits++)
        dt->nanosecond *= 10;
    }
  } else if (!v11) {
    *bad = q;
    *why = "seconds are required (they are optional only in TOML 1.1)";
    return NULL;
  }
  if (!has_date) {
    dt->kind = TOML_TIME_LOCAL;
    return q;
  }
  if (*q == 'Z' || *q == 'z') {
    dt->kind = TOML_DATETIME;
    return q + 1;
  }
  if (*q == '+' || *q == '-') {
    int oh = num(q + 1, 2), om = q[3] == ':' ? num(q + 4, 2) : -1;
    if (oh < 0 || om < 0) {
      *bad = q;
      *why = "expected a time offset as +HH:MM or -HH:MM";
      return NULL;
    }
    if (oh > 23 || om > 59) {
      *bad = q;
      *why = "time offset out of range";
      return NULL;
    }
    dt->offset_minutes = (*q == '-' ? -1 : 1) * (oh * 60 + om);
    dt->kind = TOML_DATETIME;
    return q + 6;
  }
  dt->kind = TOML_DATETIME_LOCAL;
  return q;
}

char *toml_lex_datetime(toml_parser *P, char *p, toml_node *n)
{
  toml_datetime dt;
  const char *bad = p, *why = "";
  const char *q = dt_scan(p, &dt, P->v11, &bad, &why);
  char name[32];
  if (!q)
    toml_fail(P, bad, "invalid date-time: %s", why);
  if (!toml_is((unsigned char)*q, TOML_CC_END))
    toml_fail(P, q, "invalid date-time: unexpected %s",
              toml_char_name(P, q, name));
  n->meta |= (uint32_t)dt.kind;
  return p + (q - p);
}

void toml_read_datetime(const char *p, toml_datetime *out)
{
  const char *bad, *why;
  if (!dt_scan(p, out, true, &bad, &why))
    memset(out, 0, sizeof *out); /* cannot happen: validated when parsed */
}
