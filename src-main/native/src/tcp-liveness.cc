// Lets the kernel itself end a TCP connection whose far end stopped answering within seconds:
// keepalive probes soon after the link falls idle and few of them, and a limit on how long sent
// data may stay unacknowledged (TCP_USER_TIMEOUT, RFC 5482). Node sets only the idle time before
// the first probe; the kernel's defaults (75 s between probes, 9 of them) take 11 minutes.
#include "tcp-liveness.h"

#include <napi.h>

#ifdef __linux__
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

namespace hnet {
namespace {

#ifdef __linux__
bool SetInt(int fd, int level, int option, int value) {
  return setsockopt(fd, level, option, &value, sizeof value) == 0;
}
#endif

// watchTcpLiveness(fd, idleSeconds, intervalSeconds, probes, unackedMs): true if every option took.
Napi::Value WatchTcpLiveness(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 5)
    throw Napi::TypeError::New(env, "watchTcpLiveness(fd, idleSeconds, intervalSeconds, probes, unackedMs)");
  int values[5];
  for (size_t i = 0; i < 5; i++) {
    if (!info[i].IsNumber()) throw Napi::TypeError::New(env, "watchTcpLiveness takes five numbers");
    values[i] = info[i].As<Napi::Number>().Int32Value();
    if (values[i] < (i == 0 ? 0 : 1)) throw Napi::RangeError::New(env, "watchTcpLiveness: out of range");
  }
#ifdef __linux__
  const int fd = values[0];
  const bool set = SetInt(fd, SOL_SOCKET, SO_KEEPALIVE, 1) && SetInt(fd, IPPROTO_TCP, TCP_KEEPIDLE, values[1]) &&
                   SetInt(fd, IPPROTO_TCP, TCP_KEEPINTVL, values[2]) &&
                   SetInt(fd, IPPROTO_TCP, TCP_KEEPCNT, values[3]) &&
                   SetInt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, values[4]);
  return Napi::Boolean::New(env, set);
#else
  return Napi::Boolean::New(env, false);
#endif
}

}  // namespace

void InitTcpLiveness(Napi::Env env, Napi::Object exports) {
  exports.Set("watchTcpLiveness", Napi::Function::New(env, WatchTcpLiveness, "watchTcpLiveness"));
}

}  // namespace hnet
