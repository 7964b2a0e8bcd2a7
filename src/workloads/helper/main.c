/* crh-workload NAME [ARGS]: one static binary holding every workload of the catalogue
 * (src/workloads/catalogue.h). `crh-workload list` prints the names, one a line. */
#include <stdio.h>
#include <string.h>

#define WORKLOADS(X) \
  X(threads)         \
  X(pipe_in_flight)  \
  X(fifo_in_flight)  \
  X(unix_stream)     \
  X(unix_dgram)      \
  X(scm_rights)      \
  X(sysv_shm)        \
  X(posix_shm)       \
  X(memfd)           \
  X(eventfd)         \
  X(timerfd)         \
  X(signalfd)        \
  X(inotify)         \
  X(flock)           \
  X(posix_lock)      \
  X(ofd_lock)        \
  X(zombie)          \
  X(pgrp_session)    \
  X(memory)          \
  X(files)           \
  X(dirs)            \
  X(cgroup_ns)       \
  X(flood)           \
  X(tcp_server)      \
  X(tcp_backlog)     \
  X(tcp_loopback)    \
  X(terminal)        \
  X(exec_watch)      \
  X(exec_child)

#define DECLARE(name) int wl_main_##name(int argc, char **argv);
WORKLOADS(DECLARE)

struct entry {
  const char *name;
  int (*main)(int argc, char **argv);
};

#define ENTRY(name) {#name, wl_main_##name},
static const struct entry kEntries[] = {WORKLOADS(ENTRY)};

int main(int argc, char **argv) {
  const size_t n = sizeof kEntries / sizeof kEntries[0];
  if (argc >= 2 && strcmp(argv[1], "list") == 0) {
    for (size_t i = 0; i < n; ++i) puts(kEntries[i].name);
    return 0;
  }
  for (size_t i = 0; argc >= 2 && i < n; ++i) {
    if (strcmp(argv[1], kEntries[i].name) == 0) return kEntries[i].main(argc - 1, argv + 1);
  }
  fprintf(stderr, "usage: crh-workload NAME [ARGS]   (crh-workload list: the names)\n");
  return 64;
}
