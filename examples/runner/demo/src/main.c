#include <stdio.h>

#include "util.h"

int main(void)
{
  printf("%s\n", GREETING_TEXT);
  return 0;
}
