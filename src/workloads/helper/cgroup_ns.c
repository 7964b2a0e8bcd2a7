/* cgroup_ns: run in a cgroup namespace of its own; /proc/self/cgroup (every hierarchy at "/",
 * the namespace's root) must read exactly the same in each check as at setup. */
#define _GNU_SOURCE
#include <string.h>

#include "wl.h"

struct cg_wl {
  char first[8192];
  char now[8192];
};

static int check(void *ctx, char *reason) {
  struct cg_wl *c = ctx;
  if (wl_read_file("/proc/self/cgroup", c->now, sizeof c->now) <= 0) {
    return wl_fail(reason, "cannot read /proc/self/cgroup");
  }
  if (strcmp(c->now, c->first) != 0) {
    char *nl = strchr(c->now, '\n');
    if (nl) *nl = 0;
    return wl_fail(reason, "/proc/self/cgroup changed (first line now \"%s\")", c->now);
  }
  return 0;
}

int wl_main_cgroup_ns(int argc, char **argv) {
  (void)argc;
  (void)argv;
  static struct cg_wl c;
  if (wl_read_file("/proc/self/cgroup", c.first, sizeof c.first) <= 0) wl_die("read cgroup");
  /* In a cgroup namespace every line ends in ":/" (the namespace root). */
  for (char *line = c.first; *line;) {
    char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    if (len < 2 || line[len - 2] != ':' || line[len - 1] != '/') {
      wl_die("not in a cgroup namespace: \"%.*s\"", (int)len, line);
    }
    if (!nl) break;
    line = nl + 1;
  }
  wl_loop(&c, check);
}
