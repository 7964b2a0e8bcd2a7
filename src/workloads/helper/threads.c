/* threads [N]: N threads (default 4), each counting in its own counter; every check sees each
 * counter advanced and the thread count unchanged in /proc/self/task. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "wl.h"

#define MAX_THREADS 32

struct threads {
  int n;
  atomic_ullong counter[MAX_THREADS];
  unsigned long long seen[MAX_THREADS];
};

struct arg {
  struct threads *t;
  int i;
};

static void *count(void *p) {
  struct arg *a = p;
  for (;;) {
    atomic_fetch_add(&a->t->counter[a->i], 1);
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static int tasks(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

static int check(void *ctx, char *reason) {
  struct threads *t = ctx;
  for (int i = 0; i < t->n; ++i) {
    unsigned long long now = atomic_load(&t->counter[i]);
    if (now <= t->seen[i]) {
      return wl_fail(reason, "thread %d stopped counting at %llu", i, now);
    }
    t->seen[i] = now;
  }
  int k = tasks();
  if (k != t->n + 1) return wl_fail(reason, "%d tasks, want %d", k, t->n + 1);
  return 0;
}

int wl_main_threads(int argc, char **argv) {
  static struct threads t;
  static struct arg args[MAX_THREADS];
  t.n = argc > 1 ? atoi(argv[1]) : 4;
  if (t.n < 1 || t.n > MAX_THREADS) wl_die("thread count %d out of 1..%d", t.n, MAX_THREADS);
  for (int i = 0; i < t.n; ++i) {
    pthread_t th;
    args[i] = (struct arg){&t, i};
    if (pthread_create(&th, NULL, count, &args[i]) != 0) wl_die("pthread_create");
  }
  wl_loop(&t, check);
}
