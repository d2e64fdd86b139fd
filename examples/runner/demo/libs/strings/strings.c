/* strings: a module of the demo project */
int strings_count(const char *s)
{
  int n = 0;
  while (s[n])
    n++;
  return n;
}
