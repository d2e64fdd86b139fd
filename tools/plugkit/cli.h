/* cli.h -- the plugkit command-line tool: one file per subcommand.
 * SPDX-License-Identifier: MIT */
#ifndef PK_CLI_H
#define PK_CLI_H

#include <plugkit.h>

/* Each subcommand gets argv without the program name (argv[0] is the
 * subcommand) and returns the process exit status: 0 success, 1 a reported
 * failure (the message is on stderr), 2 a usage error. */
int cmd_toml(int argc, char **argv);

/* Prints "plugkit: " + the formatted error to stderr. */
void cli_print_error(const pk_error *err);

#endif
