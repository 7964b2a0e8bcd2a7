/* The workload helper's shared protocol (see src/workloads/catalogue.h and docs/workloads.md).
 *
 * A workload sets up its state, then calls wl_loop(check, ctx): that prints "ready", and then
 * every ~100 ms calls check() and prints "ok N" (N = 1, 2, 3, ... kept in this process's memory)
 * or, on the first mismatch, "FAIL N reason" and exits 1. A setup failure prints
 * "FAIL 0 setup: reason" and exits 2. Every line is flushed at once: stdout is a pipe the engine
 * drains into the container's log, and the oracle reads that log.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WL_REASON 240

/* Fills `reason` and returns -1: `return wl_fail(r, "want %d got %d", a, b);` */
int wl_fail(char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 0: the state is as it should be; -1: it is not, and `reason` says how. */
typedef int (*wl_check_fn)(void *ctx, char *reason);

void wl_loop(void *ctx, wl_check_fn check) __attribute__((noreturn));
void wl_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* A line on stdout that is neither ok nor FAIL (the oracle ignores it), flushed. */
void wl_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Deterministic, incompressible bytes: the same (seed, generation) gives the same buffer. */
void wl_pattern(void *buf, size_t n, uint64_t seed, uint64_t gen);
/* 0 if buf holds wl_pattern(seed, gen); else -1 with the first differing offset in reason. */
int wl_check_pattern(const void *buf, size_t n, uint64_t seed, uint64_t gen, const char *what,
                     char *reason);
uint64_t wl_checksum(const void *buf, size_t n);

/* Full reads and writes (retrying on EINTR and short transfers); -1 with errno on failure or EOF.
 */
int wl_write_all(int fd, const void *buf, size_t n);
int wl_read_all(int fd, void *buf, size_t n);
/* poll() for POLLIN up to timeout_ms: 1 readable, 0 timed out, -1 error. */
int wl_readable(int fd, int timeout_ms);
/* Forks a child that runs fn(arg) and exits with its return value; returns that exit status
 * (0..255) or -1 if the child died otherwise. */
int wl_in_child(int (*fn)(void *), void *arg);
/* The whole (small) file, NUL-terminated, into buf; the length or -1. */
ssize_t wl_read_file(const char *path, char *buf, size_t cap);
