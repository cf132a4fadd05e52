// The JavaScript face of the data lane: DataLane (routes and counts, in lane-router.cc) and the
// LaneCipher objects it makes (lane-cipher.cc). See DataLaneHandle in src-main/native/dataplane-addon.ts.
#include "data-lane.h"

#include "errors.h"

#if defined(_WIN32)

namespace hnet {

void InitDataLane(Napi::Env env, Napi::Object exports) {
  exports.Set("DataLane", Napi::Function::New(
                              env,
                              [](const Napi::CallbackInfo& info) -> Napi::Value {
                                ThrowUnsupported(info.Env(), "DataLane");
                              },
                              "DataLane"));
}

std::shared_ptr<LaneRouter> LaneRouterOf(const Napi::Value& value) {
  if (value.IsNull() || value.IsUndefined()) return nullptr;
  ThrowUnsupported(value.Env(), "useLane");
}

}  // namespace hnet

#else

#include <array>
#include <cstring>
#include <optional>
#include <string>

#include "lane-cipher.h"
#include "lane-router.h"
#include "sodium-runtime.h"

namespace hnet {

namespace {

// Checked before unwrapping, so that no other wrapped object is mistaken for one of ours.
constexpr napi_type_tag kCipherTag = {0x6c616e6563697068ULL, 0x9b1f2c4d7e3a5f60ULL};
constexpr napi_type_tag kLaneTag = {0x6c616e65726f7574ULL, 0x2d84e1c7a9b05f13ULL};

void Tag(Napi::Env env, const Napi::Object& object, const napi_type_tag& tag) {
  if (napi_type_tag_object(env, object, &tag) != napi_ok) throw Napi::Error::New(env, "could not tag the object");
}

bool HasTag(const Napi::Value& value, const napi_type_tag& tag) {
  if (!value.IsObject()) return false;
  bool tagged = false;
  return napi_check_object_type_tag(value.Env(), value, &tag, &tagged) == napi_ok && tagged;
}

Napi::Uint8Array Bytes(const Napi::CallbackInfo& info, size_t index, const char* what) {
  Napi::Value value = info[index];
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a Uint8Array");
  return value.As<Napi::Uint8Array>();
}

Napi::Uint8Array Address(const Napi::CallbackInfo& info, size_t index, const char* what) {
  Napi::Uint8Array address = Bytes(info, index, what);
  if (address.ByteLength() != kAddressBytes)
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a 16-byte address");
  return address;
}

Napi::Float64Array Float64Out(const Napi::CallbackInfo& info, size_t index, const char* what) {
  Napi::Value value = info[index];
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a Float64Array");
  return value.As<Napi::Float64Array>();
}

size_t Offset(const Napi::CallbackInfo& info, size_t index, const Napi::Uint8Array& out) {
  Napi::Value value = info[index];
  double offset = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1;
  if (!(offset >= 0 && offset <= static_cast<double>(out.ByteLength())) || offset != static_cast<size_t>(offset))
    throw Napi::RangeError::New(info.Env(), "offset must be an index into out");
  return static_cast<size_t>(offset);
}

// method: the caller's name, for the errors.
SendTarget Sockaddr(const Napi::Value& value, const char* method) {
  SendTarget target;
  bool valid = value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
  if (valid) {
    Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
    valid = ReadSockaddr(bytes.Data(), bytes.ByteLength(), target.address, target.length);
  }
  if (!valid)
    throw Napi::TypeError::New(value.Env(),
                               std::string(method) + ": targets and sources are sockaddrs from UdpSocket.sockaddr");
  return target;
}

// A target argument: null (or undefined) for none.
std::optional<SendTarget> OptionalSockaddr(const Napi::Value& value, const char* method) {
  if (value.IsNull() || value.IsUndefined()) return std::nullopt;
  return Sockaddr(value, method);
}

SourceSet Sources(const Napi::Value& value, const char* method) {
  Napi::Env env = value.Env();
  if (!value.IsArray())
    throw Napi::TypeError::New(env, std::string(method) + ": sources must be an array of sockaddrs");
  Napi::Array array = value.As<Napi::Array>();
  if (array.Length() > SourceSet::kMax)
    throw Napi::RangeError::New(env, std::string(method) + ": at most " + std::to_string(SourceSet::kMax) + " sources");
  SourceSet sources;
  for (uint32_t i = 0; i < array.Length(); i++)
    WriteSource(Sockaddr(array.Get(i), method).address, sources.keys[i].data());
  sources.count = array.Length();
  return sources;
}

class LaneCipherObject : public Napi::ObjectWrap<LaneCipherObject> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LaneCipher",
                       {InstanceMethod("seal", &LaneCipherObject::Seal),
                        InstanceMethod("open", &LaneCipherObject::Open),
                        InstanceAccessor<&LaneCipherObject::Sent>("sent"),
                        InstanceAccessor<&LaneCipherObject::Opened>("opened")});
  }

  // (rx, tx, counted), from DataLane.cipher only.
  explicit LaneCipherObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LaneCipherObject>(info) {
    Napi::Env env = info.Env();
    const Sodium* sodium = LoadSodium();
    if (sodium == nullptr) ThrowUnsupported(env, "LaneCipher");
    Napi::Uint8Array rx = Bytes(info, 0, "rx");
    Napi::Uint8Array tx = Bytes(info, 1, "tx");
    if (rx.ByteLength() != kKeyBytes || tx.ByteLength() != kKeyBytes)
      throw Napi::TypeError::New(env, "cipher: rx and tx must be 32-byte keys");
    if (!info[2].IsBoolean()) throw Napi::TypeError::New(env, "cipher: counted must be a boolean");
    cipher_ = std::make_shared<LaneCipher>(*sodium, rx.Data(), tx.Data(), info[2].As<Napi::Boolean>().Value());
    Tag(env, info.This().As<Napi::Object>(), kCipherTag);
  }

  static std::shared_ptr<LaneCipher> Of(const Napi::Value& value) {
    if (!HasTag(value, kCipherTag)) return nullptr;
    return Unwrap(value.As<Napi::Object>())->cipher_;
  }

 private:
  Napi::Value Seal(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array payload = Bytes(info, 0, "payload");
    Napi::Uint8Array out = Bytes(info, 1, "out");
    size_t offset = Offset(info, 2, out);
    size_t length = payload.ByteLength();
    if (length == 0 || length > kMaxDataPayload)
      throw Napi::RangeError::New(env, "seal: the payload must be 1 to " + std::to_string(kMaxDataPayload) + " bytes");
    if (out.ByteLength() - offset < length + kDataOverhead)
      throw Napi::RangeError::New(env, "seal: out has no room for the packet (the payload and 49 bytes)");
    // Copied first: the payload may be a view into out.
    std::memcpy(plain_.data() + kSeqBytes, payload.Data(), length);
    return Napi::Number::New(env, static_cast<double>(cipher_->Seal(plain_.data(), length, out.Data() + offset)));
  }

  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array packet = Bytes(info, 0, "packet");
    Napi::Uint8Array out = Bytes(info, 1, "out");
    size_t offset = Offset(info, 2, out);
    size_t length = packet.ByteLength();
    if (length <= kDataOverhead || length > kDataOverhead + kMaxDataPayload || packet.Data()[0] != 0)
      return Napi::Number::New(env, kBadLength);
    if (out.ByteLength() - offset < length - kDataOverhead)
      throw Napi::RangeError::New(env, "open: out has no room for the payload (the packet less 49 bytes)");
    uint64_t seq = 0;
    int opened = cipher_->Open(packet.Data(), length, plain_.data(), seq);
    if (opened >= 0) {
      cipher_->Accept(seq);
      std::memcpy(out.Data() + offset, plain_.data() + kSeqBytes, static_cast<size_t>(opened));
    }
    return Napi::Number::New(env, opened);
  }

  Napi::Value Sent(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(cipher_->sent()));
  }

  Napi::Value Opened(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(cipher_->opened()));
  }

  // Shared with the lane's routes, which may outlive this object.
  std::shared_ptr<LaneCipher> cipher_;
  // seq ‖ payload of the packet JavaScript seals or opens.
  std::array<uint8_t, kSeqBytes + kMaxDataPayload> plain_{};
};

class DataLaneObject : public Napi::ObjectWrap<DataLaneObject> {
 public:
  static Napi::Function Define(Napi::Env env, Napi::FunctionReference* cipher_class) {
    return DefineClass(env, "DataLane",
                       {InstanceMethod("cipher", &DataLaneObject::Cipher, napi_default, cipher_class),
                        InstanceMethod("route", &DataLaneObject::Route),
                        InstanceMethod("relayThrough", &DataLaneObject::RelayThrough),
                        InstanceMethod("counters", &DataLaneObject::Counters),
                        InstanceMethod("echoRoundTrips", &DataLaneObject::EchoRoundTrips),
                        InstanceMethod("disableOffloads", &DataLaneObject::DisableOffloads),
                        InstanceAccessor<&DataLaneObject::Stats>("stats"),
                        InstanceAccessor<&DataLaneObject::Segmenting>("segmenting")});
  }

  explicit DataLaneObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DataLaneObject>(info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array own = Address(info, 0, "DataLane: ownAddress");
    if (LoadSodium() == nullptr) {
      Napi::Error error = Napi::Error::New(
          env,
          "DataLane: libsodium could not be loaded (install libsodium23 or a newer libsodium); "
          "the engine stays on its JavaScript data path");
      error.Set("code", Napi::String::New(env, "ENOTSUP"));
      throw error;
    }
    router_ = std::make_shared<LaneRouter>(own.Data());
    Tag(env, info.This().As<Napi::Object>(), kLaneTag);
  }

  static std::shared_ptr<LaneRouter> Of(const Napi::Value& value) {
    if (!HasTag(value, kLaneTag)) return nullptr;
    return Unwrap(value.As<Napi::Object>())->router_;
  }

 private:
  Napi::Value Cipher(const Napi::CallbackInfo& info) {
    auto* cipher_class = static_cast<Napi::FunctionReference*>(info.Data());
    return cipher_class->New({info[0], info[1], info[2]});
  }

  Napi::Value Route(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array peer = Address(info, 0, "route: peer");
    if (info[1].IsNull() || info[1].IsUndefined()) {
      router_->Forget(peer.Data());
      return env.Undefined();
    }
    LaneRoute route;
    std::memcpy(route.peer.data(), peer.Data(), kAddressBytes);
    route.cipher = LaneCipherObject::Of(info[1]);
    if (!route.cipher) throw Napi::TypeError::New(env, "route: cipher must come from this addon's DataLane.cipher");
    route.target = OptionalSockaddr(info[2], "route");
    route.sources = Sources(info[3], "route");
    if (!info[4].IsBoolean()) throw Napi::TypeError::New(env, "route: relayed must be a boolean");
    route.relayed = info[4].As<Napi::Boolean>().Value();
    router_->SetRoute(std::move(route));
    return env.Undefined();
  }

  Napi::Value RelayThrough(const Napi::CallbackInfo& info) {
    BaseRelay relay;
    relay.target = OptionalSockaddr(info[0], "relayThrough");
    relay.sources = Sources(info[1], "relayThrough");
    router_->SetRelay(std::move(relay));
    return info.Env().Undefined();
  }

  Napi::Value Counters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array peer = Address(info, 0, "counters: peer");
    Napi::Float64Array out = Float64Out(info, 1, "counters: out");
    const LaneRoute* route = router_->Find(peer.Data());
    if (route == nullptr) return Napi::Boolean::New(env, false);
    const uint64_t counts[] = {route->packets_sent, route->bytes_sent, route->packets_received, route->bytes_received};
    constexpr size_t kCounts = sizeof counts / sizeof counts[0];
    if (out.ElementLength() < kCounts + route->sources.count)
      throw Napi::RangeError::New(env, "counters: out needs 4 numbers and one per source");
    for (size_t i = 0; i < kCounts; i++) out[i] = static_cast<double>(counts[i]);
    for (size_t i = 0; i < route->sources.count; i++) out[kCounts + i] = static_cast<double>(route->from_source[i]);
    return Napi::Boolean::New(env, true);
  }

  Napi::Value EchoRoundTrips(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array peer = Address(info, 0, "echoRoundTrips: peer");
    Napi::Float64Array out = Float64Out(info, 1, "echoRoundTrips: out");
    size_t taken = router_->TakeEchoRoundTrips(peer.Data(), out.Data(), out.ElementLength());
    return Napi::Number::New(env, static_cast<double>(taken));
  }

  Napi::Value DisableOffloads(const Napi::CallbackInfo& info) {
    router_->StopSegmenting();
    return info.Env().Undefined();
  }

  Napi::Value Segmenting(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), router_->segmenting());
  }

  // A copy: the router may outlive this object (a socket or reader still holds it), so it keeps
  // its counts in its own memory rather than in a JavaScript array.
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    const auto& stats = router_->stats();
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), stats.size());
    for (size_t i = 0; i < stats.size(); i++) out[i] = static_cast<double>(stats[i]);
    return out;
  }

  std::shared_ptr<LaneRouter> router_;
};

}  // namespace

void InitDataLane(Napi::Env env, Napi::Object exports) {
  auto* cipher_class = new Napi::FunctionReference(Napi::Persistent(LaneCipherObject::Define(env)));
  napi_add_env_cleanup_hook(
      env, [](void* data) { delete static_cast<Napi::FunctionReference*>(data); }, cipher_class);
  exports.Set("DataLane", DataLaneObject::Define(env, cipher_class));
}

std::shared_ptr<LaneRouter> LaneRouterOf(const Napi::Value& value) {
  if (value.IsNull() || value.IsUndefined()) return nullptr;
  std::shared_ptr<LaneRouter> router = DataLaneObject::Of(value);
  if (!router) throw Napi::TypeError::New(value.Env(), "useLane expects a DataLane or null");
  return router;
}

}  // namespace hnet

#endif
