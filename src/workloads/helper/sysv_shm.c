/* sysv_shm [KEY]: a 1 MiB SysV shared memory segment (key KEY, default 0x43524801) filled with
 * the current generation's pattern. Each check looks the segment up again by key (same id),
 * checks size and attach count, compares the contents and writes the next generation. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "wl.h"

#define SHM_BYTES (1 << 20)

struct sysv_wl {
  key_t key;
  int id;
  unsigned char *mem;
  uint64_t gen;
};

static int check(void *ctx, char *reason) {
  struct sysv_wl *s = ctx;
  int id = shmget(s->key, 0, 0);
  if (id != s->id) return wl_fail(reason, "key now maps to id %d, want %d", id, s->id);
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) != 0) return wl_fail(reason, "IPC_STAT failed");
  if (ds.shm_segsz != SHM_BYTES || ds.shm_nattch != 1) {
    return wl_fail(reason, "segment size %zu nattch %lu", (size_t)ds.shm_segsz,
                   (unsigned long)ds.shm_nattch);
  }
  if (wl_check_pattern(s->mem, SHM_BYTES, 6, s->gen, "shm", reason) != 0) return -1;
  wl_pattern(s->mem, SHM_BYTES, 6, ++s->gen);
  return 0;
}

int wl_main_sysv_shm(int argc, char **argv) {
  static struct sysv_wl s;
  s.key = (key_t)(argc > 1 ? strtol(argv[1], NULL, 0) : 0x43524801);
  s.id = shmget(s.key, SHM_BYTES, IPC_CREAT | IPC_EXCL | 0600);
  if (s.id < 0) wl_die("shmget");
  s.mem = shmat(s.id, NULL, 0);
  if (s.mem == (void *)-1) wl_die("shmat");
  wl_pattern(s.mem, SHM_BYTES, 6, 0);
  wl_loop(&s, check);
}
