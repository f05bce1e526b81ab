/* The berth command's own subcommands: those that join parts (rmi asks
 * ctr which images are in use) or only read files. Each part declares its
 * subcommands in its own header; main.c has the one table. A subcommand
 * gets its own name as argv[0] and returns the exit code. */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

int cmd_analyze(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_system(int argc, char **argv);
int cmd_compose_check(int argc, char **argv);
int cmd_spec(int argc, char **argv);
int cmd_net(int argc, char **argv);

#endif
