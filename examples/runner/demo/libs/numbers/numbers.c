/* numbers: a module of the demo project */
int numbers_twice(int x)
{
  return 2 * x;
}
