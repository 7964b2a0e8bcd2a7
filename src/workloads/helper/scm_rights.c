/* scm_rights [PATH]: a file PATH (default /tmp/wl.scm) whose only descriptor travels in a
 * SCM_RIGHTS message queued on a unix socketpair. Each check receives the descriptor, reads the
 * token the last generation wrote through it, writes the next token through it, and sends it
 * again; the received descriptor must refer to the same file (inode) every time. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wl.h"

struct scm_wl {
  int sv[2];
  uint64_t gen;
  ino_t ino;
};

static int send_fd(int sock, int fd, uint64_t gen) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {.iov_base = &gen, .iov_len = sizeof gen};
  struct msghdr m = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(sock, &m, 0) == (ssize_t)sizeof gen ? 0 : -1;
}

static int token(int fd, uint64_t gen) {
  char t[64];
  int n = snprintf(t, sizeof t, "token %llu\n", (unsigned long long)gen);
  if (ftruncate(fd, 0) != 0) return -1;
  return pwrite(fd, t, (size_t)n, 0) == n ? 0 : -1;
}

static int check(void *ctx, char *reason) {
  struct scm_wl *s = ctx;
  if (wl_readable(s->sv[1], 2000) != 1) return wl_fail(reason, "no message queued");
  uint64_t gen = 0;
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = &gen, .iov_len = sizeof gen};
  struct msghdr m = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  ssize_t n = recvmsg(s->sv[1], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n != (ssize_t)sizeof gen) return wl_fail(reason, "recvmsg returned %zd", n);
  if (gen != s->gen)
    return wl_fail(reason, "message generation %llu, want %llu", (unsigned long long)gen,
                   (unsigned long long)s->gen);
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  if (!c || c->cmsg_type != SCM_RIGHTS || (m.msg_flags & MSG_CTRUNC)) {
    return wl_fail(reason, "the message carries no descriptor");
  }
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_ino != s->ino) {
    close(fd);
    return wl_fail(reason, "the passed descriptor is not the file any more");
  }
  char want[64], got[64] = "";
  int wn = snprintf(want, sizeof want, "token %llu\n", (unsigned long long)s->gen);
  ssize_t r = pread(fd, got, sizeof got - 1, 0);
  if (r != wn || memcmp(got, want, (size_t)wn) != 0) {
    close(fd);
    return wl_fail(reason, "read %zd bytes through the passed descriptor, want \"token %llu\"", r,
                   (unsigned long long)s->gen);
  }
  ++s->gen;
  int ok = token(fd, s->gen) == 0 && send_fd(s->sv[0], fd, s->gen) == 0;
  close(fd);
  return ok ? 0 : wl_fail(reason, "could not write or pass the descriptor on");
}

int wl_main_scm_rights(int argc, char **argv) {
  static struct scm_wl s;
  const char *path = argc > 1 ? argv[1] : "/tmp/wl.scm";
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) wl_die("open %s", path);
  struct stat st;
  if (fstat(fd, &st) != 0) wl_die("fstat");
  s.ino = st.st_ino;
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, s.sv) != 0) wl_die("socketpair");
  if (token(fd, 0) != 0 || send_fd(s.sv[0], fd, 0) != 0) wl_die("initial send");
  close(fd);
  wl_loop(&s, check);
}
