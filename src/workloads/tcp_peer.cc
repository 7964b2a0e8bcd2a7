#include "src/workloads/tcp_peer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "src/base/subprocess.h"

namespace crh::workloads {

namespace {

Status Ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  CRH_ASSIGN_OR_RETURN(CommandResult r, RunCommand({.argv = argv, .timeout_ms = 10000}));
  if (!r.ok()) return Unavailable(r.Describe(ShellJoin(argv)));
  return Status::Ok();
}

// The host interface whose IPv4 network holds `ip` (the CNI bridge of the container).
Result<std::string> BridgeFor(const std::string& ip) {
  in_addr want;
  if (inet_pton(AF_INET, ip.c_str(), &want) != 1)
    return InvalidArgument("not an IPv4 address: " + ip);
  CRH_ASSIGN_OR_RETURN(CommandResult r, RunCommand({.argv = {"ip", "-o", "-4", "addr", "show"},
                                                    .timeout_ms = 10000}));
  if (!r.ok()) return Unavailable(r.Describe("ip -o -4 addr show"));
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    // "7: crhe2e12345    inet 10.85.0.1/24 brd 10.85.0.255 scope global crhe2e12345"
    std::istringstream words(line);
    std::string index, dev, family, cidr;
    words >> index >> dev >> family >> cidr;
    size_t slash = cidr.find('/');
    if (family != "inet" || slash == std::string::npos) continue;
    in_addr have;
    if (inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &have) != 1) continue;
    int bits = std::stoi(cidr.substr(slash + 1));
    uint32_t mask = bits == 0 ? 0 : htonl(~0u << (32 - bits));
    if (have.s_addr == want.s_addr) continue;  // the container's own address is not on the host
    if ((have.s_addr & mask) == (want.s_addr & mask)) return dev;
  }
  return Unavailable("no host interface holds a network containing " + ip + ":\n" + r.out);
}

}  // namespace

Result<std::unique_ptr<TcpPeer>> TcpPeer::Make(const std::string& container_ip) {
  auto p = std::unique_ptr<TcpPeer>(new TcpPeer());
  p->container_ip_ = container_ip;
  CRH_ASSIGN_OR_RETURN(p->bridge_, BridgeFor(container_ip));
  const size_t dot = container_ip.rfind('.');
  p->peer_ip_ = container_ip.substr(0, dot) + ".250";
  if (p->peer_ip_ == container_ip) return FailedPrecondition("the container holds .250 itself");
  const std::string tag = std::to_string(getpid() % 100000);
  p->netns_ = "crhwl-" + tag;
  p->host_veth_ = "crhwl" + tag + "h";
  // From here on the destructor cleans up whatever was made.
  CRH_RETURN_IF_ERROR(Ip({"netns", "add", p->netns_}));
  CRH_RETURN_IF_ERROR(Ip(
      {"link", "add", p->host_veth_, "type", "veth", "peer", "name", "eth0", "netns", p->netns_}));
  CRH_RETURN_IF_ERROR(Ip({"link", "set", p->host_veth_, "master", p->bridge_, "up"}));
  CRH_RETURN_IF_ERROR(Ip({"-n", p->netns_, "addr", "add", p->peer_ip_ + "/24", "dev", "eth0"}));
  CRH_RETURN_IF_ERROR(Ip({"-n", p->netns_, "link", "set", "lo", "up"}));
  CRH_RETURN_IF_ERROR(Ip({"-n", p->netns_, "link", "set", "eth0", "up"}));
  return p;
}

TcpPeer::~TcpPeer() { Release(); }

void TcpPeer::Release() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  // The namespace goes once its mount is gone and no socket holds it; its veth end with it,
  // which removes the host end too. Deleting the host end as well covers a half-made setup.
  if (!netns_.empty()) Ip({"netns", "delete", netns_}).IgnoreError();         // may not exist
  if (!host_veth_.empty()) Ip({"link", "delete", host_veth_}).IgnoreError();  // usually gone
  netns_.clear();
  host_veth_.clear();
}

Result<int> TcpPeer::SocketInNamespace() {
  int fd = -1, err = 0;
  std::string where;
  // setns(CLONE_NEWNET) changes only the calling thread: a thread of its own makes the socket
  // there, and the socket keeps its namespace after the thread is gone.
  std::thread t([&] {
    int ns = open(("/run/netns/" + netns_).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0) {
      err = errno, where = "open /run/netns/" + netns_;
      return;
    }
    if (setns(ns, CLONE_NEWNET) != 0) {
      err = errno, where = "setns";
    } else {
      fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) err = errno, where = "socket";
    }
    close(ns);
  });
  t.join();
  if (fd < 0)
    return Unavailable("client socket in " + netns_ + ": " + where + ": " + strerror(err));
  return fd;
}

Status TcpPeer::Connect(int port, int timeout_ms) {
  if (fd_ >= 0) return FailedPrecondition("already connected");
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, container_ip_.c_str(), &a.sin_addr);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string last = "no attempt";
  while (std::chrono::steady_clock::now() < deadline) {
    CRH_ASSIGN_OR_RETURN(int fd, SocketInNamespace());
    int err = 0;
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p = {fd, POLLOUT, 0};
        err = poll(&p, 1, 1000) == 1 ? 0 : ETIMEDOUT;
        socklen_t sl = sizeof err;
        if (err == 0) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl);
      }
    }
    if (err == 0) {
      fd_ = fd;
      return Status::Ok();
    }
    close(fd);
    last = strerror(err);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return DeadlineExceeded("no connection to " + container_ip_ + ":" + std::to_string(port) +
                          " from " + peer_ip_ + " (netns " + netns_ + ") within " +
                          std::to_string(timeout_ms) + " ms; last error: " + last);
}

Status TcpPeer::SendPing() {
  if (fd_ < 0) return FailedPrecondition("not connected");
  const std::string line = "ping " + std::to_string(sent_ + 1) + "\n";
  ssize_t w = send(fd_, line.data(), line.size(), MSG_NOSIGNAL);
  if (w != static_cast<ssize_t>(line.size())) {
    return DataLoss("send \"" + line.substr(0, line.size() - 1) +
                    "\": " + (w < 0 ? strerror(errno) : "short write"));
  }
  ++sent_;
  return Status::Ok();
}

Status TcpPeer::AwaitPongs(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (pongs_ < sent_) {
    size_t nl;
    while ((nl = inbuf_.find('\n')) != std::string::npos) {
      const std::string line = inbuf_.substr(0, nl);
      inbuf_.erase(0, nl + 1);
      const std::string want = "pong " + std::to_string(pongs_ + 1);
      if (line != want)
        return DataLoss("the server answered \"" + line + "\", want \"" + want + "\"");
      ++pongs_;
    }
    if (pongs_ >= sent_) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      return DeadlineExceeded("waited " + std::to_string(timeout_ms) + " ms for pong " +
                              std::to_string(pongs_ + 1) + " (sent " + std::to_string(sent_) +
                              " pings, got " + std::to_string(pongs_) + " pongs)");
    }
    pollfd p = {fd_, POLLIN, 0};
    poll(&p, 1, static_cast<int>(std::min<long>(left, 100)));
    char buf[4096];
    ssize_t r = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (r == 0) return DataLoss("the server closed the connection");
    if (r < 0 && errno != EAGAIN && errno != EINTR) {
      return DataLoss(std::string("recv: ") + strerror(errno));
    }
    if (r > 0) inbuf_.append(buf, static_cast<size_t>(r));
  }
  return Status::Ok();
}

Status TcpPeer::PingPong(int count, int timeout_ms) {
  for (int i = 0; i < count; ++i) {
    CRH_RETURN_IF_ERROR(SendPing());
    CRH_RETURN_IF_ERROR(AwaitPongs(timeout_ms));
  }
  return Status::Ok();
}

}  // namespace crh::workloads
