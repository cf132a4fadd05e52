// The hnet native addon: the few things Node cannot do itself (peer credentials, TUN open,
// passing file descriptors, TUN reads in batches) or does too slowly for the
// data path (the engine's UDP socket, batched; the data lane, which carries established direct
// sessions' packets between TUN and UDP without entering JavaScript). Pure N-API so one build serves both Node and
// Electron.
#include <napi.h>

#include "data-lane.h"
#include "fd-passing.h"
#include "peer-credentials.h"
#include "pipe-accept.h"
#include "tun-open.h"
#include "tun-reader.h"
#include "udp-socket.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("peerCredentials", Napi::Function::New(env, hnet::PeerCredentials, "peerCredentials"));
  exports.Set("openTun", Napi::Function::New(env, hnet::OpenTun, "openTun"));
  exports.Set("sendWithFd", Napi::Function::New(env, hnet::SendWithFd, "sendWithFd"));
  exports.Set("acceptPipeClient", Napi::Function::New(env, hnet::AcceptPipeClient, "acceptPipeClient"));
  exports.Set("requestWithFd", Napi::Function::New(env, hnet::RequestWithFd, "requestWithFd"));
  hnet::InitTunReader(env, exports);
  hnet::InitUdpSocket(env, exports);
  hnet::InitDataLane(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(hnet_native, Init)
