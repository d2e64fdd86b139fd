/* not included by main.c: editing it changes nothing */
