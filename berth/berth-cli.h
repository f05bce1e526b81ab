/* The berth command: one file per subcommand, dispatched from main.c. */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

/* A subcommand gets its own name as argv[0] and returns the exit code. */
int cmd_analyze(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_compose_check(int argc, char **argv);
int cmd_spec(int argc, char **argv);
int cmd_net(int argc, char **argv);

/* main.c: "berth NAME: message" and NAME's usage on stderr, exit 100 */
_Noreturn void usage_error(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
