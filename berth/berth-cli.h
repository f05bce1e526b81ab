/* The berth command: one file per subcommand, dispatched from main.c. */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

/* A subcommand gets its own name as argv[0] and returns the exit code. */
int cmd_analyze(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_compose_check(int argc, char **argv);
int cmd_spec(int argc, char **argv);
int cmd_net(int argc, char **argv);
/* ctr-*.c: the container supervisor */
int cmd_ps(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_port(int argc, char **argv);
int cmd_ctr_boot(int argc, char **argv);
int cmd_ctr_order(int argc, char **argv);
int cmd_ctr_service(int argc, char **argv);
int cmd_ctr_exec(int argc, char **argv);
int cmd_ctr_finish(int argc, char **argv);
int cmd_ctr_backoff(int argc, char **argv);

/* main.c: "berth NAME: message" and NAME's usage on stderr, exit 100 */
_Noreturn void usage_error(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
