// Who is on the other end of a connected Unix socket, as the kernel saw it at connect() time.
// The helper authorises callers with this instead of a shared secret: a uid cannot be forged.
#include "peer-credentials.h"

#include "errors.h"

#if defined(__linux__)
#include <sys/socket.h>
#include <sys/types.h>
#elif defined(__APPLE__)
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/ucred.h>
#include <sys/un.h>
#include <unistd.h>
#endif

#include <cerrno>
#include <vector>

namespace hnet {

Napi::Value PeerCredentials(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(env, "peerCredentials expects a socket file descriptor");
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  int pid = 0;
  unsigned uid = 0;
  unsigned gid = 0;
  // Supplementary groups matter: the helper admits members of a group, and a user's membership
  // is usually supplementary, not their primary gid.
  std::vector<unsigned> groups;
#if defined(__linux__)
  struct ucred cred {};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) ThrowErrno(env, "getsockopt(SO_PEERCRED)", errno);
  pid = cred.pid;
  uid = cred.uid;
  gid = cred.gid;
  std::vector<gid_t> peer_groups(64);
  socklen_t groups_len = static_cast<socklen_t>(peer_groups.size() * sizeof(gid_t));
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, peer_groups.data(), &groups_len) != 0) {
    if (errno != ERANGE) ThrowErrno(env, "getsockopt(SO_PEERGROUPS)", errno);
    peer_groups.resize(groups_len / sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, peer_groups.data(), &groups_len) != 0) {
      ThrowErrno(env, "getsockopt(SO_PEERGROUPS)", errno);
    }
  }
  peer_groups.resize(groups_len / sizeof(gid_t));
  groups.assign(peer_groups.begin(), peer_groups.end());
#elif defined(__APPLE__)
  uid_t peer_uid = 0;
  gid_t peer_gid = 0;
  if (getpeereid(fd, &peer_uid, &peer_gid) != 0) ThrowErrno(env, "getpeereid", errno);
  pid_t peer_pid = 0;
  socklen_t len = sizeof(peer_pid);
  if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &peer_pid, &len) != 0) {
    ThrowErrno(env, "getsockopt(LOCAL_PEERPID)", errno);
  }
  pid = peer_pid;
  uid = peer_uid;
  gid = peer_gid;
  struct xucred xcred {};
  socklen_t xlen = sizeof(xcred);
  if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERCRED, &xcred, &xlen) != 0) {
    ThrowErrno(env, "getsockopt(LOCAL_PEERCRED)", errno);
  }
  groups.assign(xcred.cr_groups, xcred.cr_groups + xcred.cr_ngroups);
#else
  (void)fd;
  ThrowUnsupported(env, "peerCredentials");
#endif
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, pid));
  result.Set("uid", Napi::Number::New(env, uid));
  result.Set("gid", Napi::Number::New(env, gid));
  Napi::Array group_array = Napi::Array::New(env, groups.size());
  for (size_t i = 0; i < groups.size(); i++) group_array.Set(i, Napi::Number::New(env, groups[i]));
  result.Set("groups", group_array);
  return result;
}

}  // namespace hnet
