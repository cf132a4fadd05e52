// Reading a TUN device without polling it from JavaScript.
//
// Where the device is an fd (Linux, macOS), the JS thread's own event loop watches it: when it is
// readable, what is pending is drained into one batch and handed to JS at once. A ping then costs
// one wake-up, as a socket's datagram does; a reader thread would add a hand-over between threads,
// and its latency, to every packet's way in. The drain stops after one batch so that a flood
// cannot starve the UDP socket and timers; the poll is level-triggered, so the rest wakes us again.
//
// Wintun (Windows) signals an event, not an fd: there a dedicated thread sleeps until the device
// has packets (PacketSource::WaitReadable), drains them into a batch and hands it to JS through a
// thread-safe function. Its queue is bounded and the hand-over blocks, so a slow JS side makes the
// thread wait and Wintun's ring drop excess packets, as a NIC would, instead of growing memory.
//
// A data lane attached to an fd reader (useLane) takes the packets of established direct sessions
// out of each batch before JS sees it, and sends them itself; JS is called only for the rest.
//
// Shutdown: close() stops the watch, or wakes the thread and aborts the thread-safe function (which
// also releases a thread blocked on a full queue). Once the thread is joined or the watch has
// closed, the device is closed and onEnd reports the end.
#include "tun-reader.h"

#include "data-lane.h"
#include "errors.h"
#include "packet-source.h"

#if !defined(_WIN32)
#include "lane-router.h"
#endif

#include <uv.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace hnet {

namespace {

constexpr size_t kQueuedBatches = 4;

using Batch = PacketBatch;

struct ReaderState {
  std::unique_ptr<PacketSource> source;
  napi_env env = nullptr;
  // The driver: the event loop watching source->PollFd(), or a thread waiting in WaitReadable.
  uv_poll_t* poll = nullptr;
  std::thread thread;
  Napi::ThreadSafeFunction to_js;
  Napi::FunctionReference on_batch;  // the event-loop driver's; the thread's sits in to_js
  Napi::FunctionReference on_end;
  std::mutex pool_mutex;
  std::vector<std::unique_ptr<Batch>> pool;
  SourceError error;                 // what stopped reading; code 0 when closed on request
  std::atomic<bool> stopping{false};
  bool finished = false;             // JS thread only
  bool environment_gone = false;     // JS thread only: Node is tearing the environment down
#if !defined(_WIN32)
  // Takes what it handles out of each batch and writes to source while attached (event-loop driver
  // only); detached before source goes.
  std::shared_ptr<LaneRouter> lane;

  void DropLane() {
    if (lane) lane->DetachTun(this);
    lane.reset();
  }

  ~ReaderState() { DropLane(); }
#else
  void DropLane() {}
#endif

  std::unique_ptr<Batch> Take() {
    std::lock_guard<std::mutex> lock(pool_mutex);
    if (pool.empty()) return std::make_unique<Batch>();
    std::unique_ptr<Batch> batch = std::move(pool.back());
    pool.pop_back();
    return batch;
  }

  void Give(std::unique_ptr<Batch> batch) {
    batch->used = 0;
    batch->ends.clear();
    std::lock_guard<std::mutex> lock(pool_mutex);
    pool.push_back(std::move(batch));
  }
};

using SharedState = std::shared_ptr<ReaderState>;

Napi::Error ErrorFrom(Napi::Env env, int code, const std::string& operation) {
  Napi::Error error = Napi::Error::New(env, operation + " failed: " + std::strerror(code));
  error.Set("code", Napi::String::New(env, ErrnoName(code)));
  error.Set("errno", Napi::Number::New(env, code));
  error.Set("syscall", Napi::String::New(env, operation));
  return error;
}

// Reads what is pending into the batch, up to its limits; false when the device failed.
bool FillBatch(PacketSource& source, Batch& batch, SourceError& error) {
  while (batch.ends.size() < Batch::kDrainPackets && batch.Room() >= kReadRoom) {
    long n = source.ReadInto(batch, error);
    if (n == 0) return true;
    if (n < 0) return false;
  }
  return true;
}

// What onBatch receives, copied into JS-owned memory: Electron forbids external ArrayBuffers, and
// the copy lets the batch buffer go straight back to the pool.
std::vector<napi_value> BatchArguments(Napi::Env env, ReaderState& state, std::unique_ptr<Batch> batch) {
  Napi::ArrayBuffer data = Napi::ArrayBuffer::New(env, batch->used);
  std::memcpy(data.Data(), batch->data.data(), batch->used);
  Napi::Uint32Array ends = Napi::Uint32Array::New(env, batch->ends.size());
  std::memcpy(ends.Data(), batch->ends.data(), batch->ends.size() * sizeof(uint32_t));
  state.Give(std::move(batch));
  return {data, ends};
}

// The device is closed and onEnd hears why; called once, on the JS thread, when reading stopped.
void Finish(Napi::Env env, const SharedState& s) {
  if (s->thread.joinable()) s->thread.join();
  s->DropLane();
  s->source.reset();
  s->finished = true;
  if (s->environment_gone) return;
  Napi::HandleScope scope(env);
  Napi::Value reason = s->error.code == 0 ? env.Null() : ErrorFrom(env, s->error.code, s->error.operation).Value();
  Napi::FunctionReference on_end = std::move(s->on_end);
  s->on_batch.Reset();
  try {
    on_end.MakeCallback(env.Global(), {reason});
  } catch (const Napi::Error& error) {
    napi_fatal_exception(env, error.Value());
  }
}

// ---- Event-loop driver (an fd) ----

#if !defined(_WIN32)
// Offers every packet of the batch to the lane and closes the gaps the ones it took leave, so JS
// gets the rest in order; the lane's datagrams go out together once the batch is through.
void TakeLanePackets(LaneRouter& lane, Batch& batch) {
  size_t kept = 0;
  size_t used = 0;
  size_t start = 0;
  for (uint32_t& end : batch.ends) {
    size_t length = end - start;
    uint8_t* packet = batch.data.data() + start;
    start = end;
    if (lane.TakeTunPacket(packet, length)) continue;
    if (used != static_cast<size_t>(packet - batch.data.data())) std::memmove(batch.data.data() + used, packet, length);
    used += length;
    batch.ends[kept++] = static_cast<uint32_t>(used);
  }
  batch.ends.resize(kept);
  batch.used = used;
  lane.Flush();
}
#endif

void StopWatching(const SharedState& s) {
  s->stopping.store(true);
  if (s->poll == nullptr) return;
  uv_poll_t* poll = s->poll;
  s->poll = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(poll), [](uv_handle_t* handle) {
    auto* held = static_cast<SharedState*>(handle->data);
    SharedState state = std::move(*held);
    delete held;
    delete reinterpret_cast<uv_poll_t*>(handle);
    Finish(state->env, state);
  });
}

// Closes a watch whose callbacks must not run any more (environment gone, or never started).
void DiscardWatch(uv_poll_t* poll) {
  uv_close(reinterpret_cast<uv_handle_t*>(poll), [](uv_handle_t* handle) {
    delete static_cast<SharedState*>(handle->data);
    delete reinterpret_cast<uv_poll_t*>(handle);
  });
}

void OnEnvironmentExit(void* data) {
  auto* s = static_cast<ReaderState*>(data);
  s->environment_gone = true;
  s->stopping.store(true);
  if (s->poll != nullptr) DiscardWatch(s->poll);
  s->poll = nullptr;
  s->DropLane();
  s->source.reset();
}

void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  SharedState s = *static_cast<SharedState*>(handle->data);
  if (s->stopping.load()) return;
  // A poll error (the device was deleted) is read through once more, so that onEnd hears the
  // read's own reason (EBADFD), as the thread driver reports it.
  std::unique_ptr<Batch> batch = s->Take();
  bool failed = !FillBatch(*s->source, *batch, s->error);
  if (status < 0 && !failed) {
    s->error = {-status, "poll"};
    failed = true;
  }
#if !defined(_WIN32)
  if (s->lane) TakeLanePackets(*s->lane, *batch);
#endif
  if (batch->ends.empty()) {
    s->Give(std::move(batch));
  } else {
    Napi::Env env(s->env);
    Napi::HandleScope scope(env);
    std::vector<napi_value> arguments = BatchArguments(env, *s, std::move(batch));
    // MakeCallback: what the handler queued (promises, the UDP socket's batched sends) runs when
    // it returns, as after any I/O callback.
    try {
      s->on_batch.MakeCallback(env.Global(), arguments);
    } catch (const Napi::Error& error) {
      napi_fatal_exception(env, error.Value());
    }
  }
  if (failed && !s->stopping.load()) {
    napi_remove_env_cleanup_hook(s->env, OnEnvironmentExit, s.get());
    StopWatching(s);
  }
}

void StartWatching(Napi::Env env, const SharedState& s, Napi::Function on_batch) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "TunReader: no event loop");
  auto* poll = new uv_poll_t;
  int err = uv_poll_init(loop, poll, s->source->PollFd());
  if (err != 0) {
    delete poll;
    throw ErrorFrom(env, -err, "uv_poll_init");
  }
  poll->data = new SharedState(s);
  err = uv_poll_start(poll, UV_READABLE, OnReadable);
  if (err != 0) {
    DiscardWatch(poll);
    throw ErrorFrom(env, -err, "uv_poll_start");
  }
  s->poll = poll;
  s->on_batch = Napi::Persistent(on_batch);
  napi_add_env_cleanup_hook(env, OnEnvironmentExit, s.get());
}

// ---- Thread driver (Wintun) ----

void DeliverBatch(Napi::Env env, Napi::Function on_batch, ReaderState* state, Batch* raw) {
  std::unique_ptr<Batch> batch(raw);
  if (env == nullptr || state->stopping.load()) {
    state->Give(std::move(batch));
    return;
  }
  std::vector<napi_value> arguments = BatchArguments(env, *state, std::move(batch));
  try {
    on_batch.Call(arguments);
  } catch (const Napi::Error& error) {
    error.ThrowAsJavaScriptException();
  }
}

void ReadLoop(ReaderState* state) {
  PacketSource& source = *state->source;
  while (!state->stopping.load() && source.WaitReadable(state->error)) {
    std::unique_ptr<Batch> batch = state->Take();
    bool failed = !FillBatch(source, *batch, state->error);
    if (batch->ends.empty()) {
      state->Give(std::move(batch));
    } else {
      Batch* raw = batch.release();
      napi_status status = state->to_js.BlockingCall(
          raw, [state](Napi::Env env, Napi::Function fn, Batch* b) { DeliverBatch(env, fn, state, b); });
      if (status != napi_ok) {
        // Closing: the batch was not queued, so it is still ours.
        state->Give(std::unique_ptr<Batch>(raw));
        break;
      }
    }
    if (failed) break;
  }
  state->to_js.Release();
}

void StartThread(Napi::Env env, const SharedState& s, Napi::Function on_batch) {
  // The finalizer keeps the state alive until the thread is joined, whatever happens to the JS
  // object meanwhile.
  auto* keep = new SharedState(s);
  s->to_js = Napi::ThreadSafeFunction::New(env, on_batch, "hnet:tun-reader", kQueuedBatches, 1, keep,
                                           [](Napi::Env env, SharedState* held) {
                                             SharedState state = *held;
                                             delete held;
                                             Finish(env, state);
                                           });
  s->thread = std::thread(ReadLoop, s.get());
}

std::unique_ptr<PacketSource> OpenSource(const Napi::CallbackInfo& info) {
  try {
    if (info[0].IsNumber()) return OpenFdSource(info[0].As<Napi::Number>().Int32Value());
    return OpenWintunSource(info[0].As<Napi::String>().Utf8Value());
  } catch (const std::system_error& error) {
    throw ErrorFrom(info.Env(), error.code().value(), error.what());
  }
}

class TunReader : public Napi::ObjectWrap<TunReader> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TunReader",
                       {InstanceMethod("close", &TunReader::Close), InstanceMethod("write", &TunReader::Write),
                        InstanceMethod("useLane", &TunReader::UseLane),
                        InstanceMethod("offloads", &TunReader::Offloads),
                        InstanceMethod("disableOffloads", &TunReader::DisableOffloads)});
  }

  explicit TunReader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TunReader>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !(info[0].IsNumber() || info[0].IsString()) || !info[1].IsFunction() ||
        !info[2].IsFunction()) {
      throw Napi::TypeError::New(env, "TunReader expects (fd or adapter name, onBatch, onEnd)");
    }
    auto state = std::make_shared<ReaderState>();
    state->env = env;
    state->source = OpenSource(info);
    state->on_end = Napi::Persistent(info[2].As<Napi::Function>());
    Napi::Function on_batch = info[1].As<Napi::Function>();
    thread_driven_ = state->source->PollFd() < 0;
    if (thread_driven_)
      StartThread(env, state, on_batch);
    else
      StartWatching(env, state, on_batch);
    state_ = state;
  }

 private:
  Napi::Value Close(const Napi::CallbackInfo& info) {
    const SharedState& s = state_;
    if (s->finished || s->stopping.load()) return info.Env().Undefined();
    s->DropLane();
    if (s->poll != nullptr) {
      napi_remove_env_cleanup_hook(info.Env(), OnEnvironmentExit, s.get());
      StopWatching(s);
    } else {
      s->stopping.store(true);
      s->source->Wake();
      s->to_js.Abort();
    }
    return info.Env().Undefined();
  }

  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray()) throw Napi::TypeError::New(env, "write expects a Uint8Array");
    const SharedState& s = state_;
    if (s->finished || s->stopping.load()) return Napi::Boolean::New(env, false);
    Napi::Uint8Array packet = info[0].As<Napi::Uint8Array>();
    int err = s->source->Write(packet.Data(), packet.ByteLength());
    if (err == 0) return Napi::Boolean::New(env, true);
    if (err == EAGAIN) return Napi::Boolean::New(env, false);
    throw ErrorFrom(env, err, "write");
  }

  // [TunOffload bits, packets dropped as malformed]; zeros once the device is closed.
  Napi::Value Offloads(const Napi::CallbackInfo& info) {
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), 2);
    const SharedState& s = state_;
    if (s->source && !s->finished) {
      out[0] = static_cast<double>(s->source->Offloads());
      out[1] = static_cast<double>(s->source->Malformed());
    }
    return out;
  }

  Napi::Value DisableOffloads(const Napi::CallbackInfo& info) {
    const SharedState& s = state_;
    if (s->source && !s->finished) s->source->DisableOffloads();
    return info.Env().Undefined();
  }

  // The lane runs on the JS thread, where only the event-loop driver reads.
  Napi::Value UseLane(const Napi::CallbackInfo& info) {
    if (thread_driven_) ThrowUnsupported(info.Env(), "useLane on a Wintun adapter");
#if !defined(_WIN32)
    std::shared_ptr<LaneRouter> lane = LaneRouterOf(info[0]);
    const SharedState& s = state_;
    s->DropLane();
    if (lane && !s->finished && !s->stopping.load()) {
      s->lane = std::move(lane);
      s->lane->AttachTun(s.get(), s->source.get());
    }
#endif
    return info.Env().Undefined();
  }

  SharedState state_;
  bool thread_driven_ = false;
};

}  // namespace

void InitTunReader(Napi::Env env, Napi::Object exports) { exports.Set("TunReader", TunReader::Define(env)); }

}  // namespace hnet
