#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wl.h"

int wl_fail(char *reason, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, WL_REASON, fmt, ap);
  va_end(ap);
  return -1;
}

void wl_die(const char *fmt, ...) {
  char buf[WL_REASON];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  printf("FAIL 0 setup: %s (errno %d: %s)\n", buf, errno, strerror(errno));
  fflush(stdout);
  exit(2);
}

void wl_note(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("note ", stdout);
  vprintf(fmt, ap);
  va_end(ap);
  fputc('\n', stdout);
  fflush(stdout);
}

void wl_loop(void *ctx, wl_check_fn check) {
  /* A log reader that went away must not kill the workload silently. */
  signal(SIGPIPE, SIG_IGN);
  printf("ready\n");
  fflush(stdout);
  for (uint64_t n = 1;; ++n) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
    }
    char reason[WL_REASON] = "";
    if (check(ctx, reason) != 0) {
      printf("FAIL %llu %s\n", (unsigned long long)n, reason);
      fflush(stdout);
      exit(1);
    }
    printf("ok %llu\n", (unsigned long long)n);
    fflush(stdout);
  }
}

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void wl_pattern(void *buf, size_t n, uint64_t seed, uint64_t gen) {
  uint64_t s = seed * 1000003ULL + gen;
  unsigned char *p = buf;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = splitmix(&s);
    memcpy(p + i, &v, 8);
  }
  if (i < n) {
    uint64_t v = splitmix(&s);
    memcpy(p + i, &v, n - i);
  }
}

int wl_check_pattern(const void *buf, size_t n, uint64_t seed, uint64_t gen, const char *what,
                     char *reason) {
  uint64_t s = seed * 1000003ULL + gen;
  const unsigned char *p = buf;
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = splitmix(&s);
    size_t k = n - i < 8 ? n - i : 8;
    if (memcmp(p + i, &v, k) != 0) {
      return wl_fail(reason, "%s: generation %llu differs at byte %zu of %zu", what,
                     (unsigned long long)gen, i, n);
    }
  }
  return 0;
}

uint64_t wl_checksum(const void *buf, size_t n) {
  const unsigned char *p = buf;
  uint64_t h = 1469598103934665603ULL, w;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    memcpy(&w, p + i, 8);
    h = (h ^ w) * 1099511628211ULL;
    h ^= h >> 29;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

int wl_write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int wl_read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) {
      if (wl_readable(fd, 2000) <= 0) return -1;
      continue;
    }
    if (r <= 0) {
      if (r == 0) errno = EPIPE;
      return -1;
    }
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

int wl_readable(int fd, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  for (;;) {
    int r = poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    return r < 0 ? -1 : (r > 0 && (p.revents & POLLIN)) ? 1 : 0;
  }
}

int wl_in_child(int (*fn)(void *), void *arg) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) _exit(fn(arg));
  int st;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

ssize_t wl_read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  for (;;) {
    ssize_t r = read(fd, buf + len, cap - 1 - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
    if (len == cap - 1) break;
  }
  close(fd);
  buf[len] = 0;
  return (ssize_t)len;
}
