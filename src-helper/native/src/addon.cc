// The root helper's N-API addon: only what the helper needs and Node cannot do itself — peer
// credentials, TUN open, passing file descriptors (both halves: the engine loads this addon for
// requestWithFd and peerCredentials too), and accepting a Windows named-pipe client. Nothing here
// reads, writes or parses a packet on Linux or macOS: the engine's data plane is the separate
// hnet_dataplane addon (src-main/native), which no root process loads. Windows alone adds the TUN
// reader for the Wintun relay (see binding.gyp). Pure N-API so one build serves Node and Electron.
#include <napi.h>

#include "fd-passing.h"
#include "peer-credentials.h"
#include "pipe-accept.h"
#include "tun-open.h"

#if defined(_WIN32)
#include "tun-reader.h"
#endif

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("peerCredentials", Napi::Function::New(env, hnet::PeerCredentials, "peerCredentials"));
  exports.Set("openTun", Napi::Function::New(env, hnet::OpenTun, "openTun"));
  exports.Set("sendWithFd", Napi::Function::New(env, hnet::SendWithFd, "sendWithFd"));
  exports.Set("requestWithFd", Napi::Function::New(env, hnet::RequestWithFd, "requestWithFd"));
  exports.Set("acceptPipeClient", Napi::Function::New(env, hnet::AcceptPipeClient, "acceptPipeClient"));
#if defined(_WIN32)
  hnet::InitTunReader(env, exports);
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(hnet_helper, Init)
