#pragma once
// A TCP client outside the container, for the established-connection workload: its own network
// namespace (made by the test, "crhwl-<pid>"), a veth whose host end is enslaved to the bridge
// that carries the container's subnet (found by the container's address: the host interface
// whose IPv4 network holds it) and whose other end has address .250 of that /24. The client
// socket is created inside that namespace (by a short-lived thread that setns()es there) and
// lives on in this process, so the same socket can be used across the container's checkpoint
// and restore. Nothing leaves the machine: the namespace has no route but its /24.
//
// Talks the tcp_server workload's protocol: "ping K\n" -> "pong K\n", K = 1, 2, 3, ...
//
// Example:
//   CRH_ASSIGN_OR_RETURN(auto peer, TcpPeer::Make(container_ip));
//   CRH_RETURN_IF_ERROR(peer->Connect(7000, 5000));
//   CRH_RETURN_IF_ERROR(peer->PingPong(3, 5000));
//   // the destructor closes the socket and deletes the namespace and veth, also on failure

#include <memory>
#include <string>

#include "src/base/status.h"

namespace crh::workloads {

class TcpPeer {
 public:
  // kUnavailable if the bridge cannot be found or `ip` fails (what it said is in the message).
  static Result<std::unique_ptr<TcpPeer>> Make(const std::string& container_ip);
  ~TcpPeer();
  TcpPeer(const TcpPeer&) = delete;
  TcpPeer& operator=(const TcpPeer&) = delete;

  // Connects to container_ip:port from the namespace. kDeadlineExceeded after timeout_ms.
  Status Connect(int port, int timeout_ms);
  // Sends "ping K" for the next K without waiting for the answer.
  Status SendPing();
  // Waits until every ping sent so far has its "pong K", in order. kDeadlineExceeded with what
  // arrived; kDataLoss for a wrong or out-of-order answer or a closed connection.
  Status AwaitPongs(int timeout_ms);
  // `count` times SendPing + AwaitPongs.
  Status PingPong(int count, int timeout_ms);

  // Closes the socket and removes the namespace and the veth (idempotent; errors are ignored,
  // there is nothing better to do).
  void Release();

  int fd() const { return fd_; }
  uint64_t pongs() const { return pongs_; }
  const std::string& peer_ip() const { return peer_ip_; }
  const std::string& netns() const { return netns_; }

 private:
  TcpPeer() = default;
  Result<int> SocketInNamespace();
  std::string container_ip_, peer_ip_, netns_, host_veth_, bridge_;
  int fd_ = -1;
  uint64_t sent_ = 0, pongs_ = 0;
  std::string inbuf_;
};

}  // namespace crh::workloads
