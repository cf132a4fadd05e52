// Reading a TUN device without polling it from JavaScript.
//
// A dedicated thread sleeps until the device has packets (PacketSource::WaitReadable), drains
// what is pending into one batch buffer and hands the batch to JS through a thread-safe function.
// The queue towards JS is bounded and the hand-over blocks, so a slow JS side makes the thread
// wait and the kernel's TUN queue drop excess packets, as a NIC would, instead of growing memory.
//
// Shutdown: close() wakes the thread and aborts the thread-safe function, which also releases a
// thread blocked on a full queue. The finalizer, which runs on the JS thread once the thread-safe
// function is gone, joins the thread, closes the device and reports the end.
#include "tun-reader.h"

#include "errors.h"
#include "packet-source.h"

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

constexpr size_t kBatchBytes = 256 * 1024;
constexpr size_t kMaxBatchPackets = 256;
constexpr size_t kQueuedBatches = 4;

struct Batch {
  std::vector<uint8_t> data = std::vector<uint8_t>(kBatchBytes);
  std::vector<uint32_t> ends;
  size_t used = 0;
};

struct ReaderState {
  std::unique_ptr<PacketSource> source;
  std::thread thread;
  Napi::ThreadSafeFunction to_js;
  Napi::FunctionReference on_end;
  std::mutex pool_mutex;
  std::vector<std::unique_ptr<Batch>> pool;
  SourceError error;               // what stopped the thread; code 0 when closed on request
  std::atomic<bool> stopping{false};
  bool finished = false;           // JS thread only

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

Napi::Error ErrorFrom(Napi::Env env, int code, const std::string& operation) {
  Napi::Error error = Napi::Error::New(env, operation + " failed: " + std::strerror(code));
  error.Set("code", Napi::String::New(env, ErrnoName(code)));
  error.Set("errno", Napi::Number::New(env, code));
  error.Set("syscall", Napi::String::New(env, operation));
  return error;
}

void DeliverBatch(Napi::Env env, Napi::Function on_batch, ReaderState* state, Batch* raw) {
  std::unique_ptr<Batch> batch(raw);
  if (env == nullptr || state->stopping.load()) {
    state->Give(std::move(batch));
    return;
  }
  // Copied into a JS-owned buffer: Electron forbids external ArrayBuffers, and the copy lets this
  // batch buffer go straight back to the thread.
  Napi::ArrayBuffer data = Napi::ArrayBuffer::New(env, batch->used);
  std::memcpy(data.Data(), batch->data.data(), batch->used);
  Napi::Uint32Array ends = Napi::Uint32Array::New(env, batch->ends.size());
  std::memcpy(ends.Data(), batch->ends.data(), batch->ends.size() * sizeof(uint32_t));
  state->Give(std::move(batch));
  try {
    on_batch.Call({data, ends});
  } catch (const Napi::Error& error) {
    error.ThrowAsJavaScriptException();
  }
}

void ReadLoop(ReaderState* state) {
  PacketSource& source = *state->source;
  while (!state->stopping.load() && source.WaitReadable(state->error)) {
    std::unique_ptr<Batch> batch = state->Take();
    bool failed = false;
    while (batch->ends.size() < kMaxBatchPackets && kBatchBytes - batch->used >= kMaxPacket) {
      long n = source.ReadPacket(batch->data.data() + batch->used, state->error);
      if (n == 0) break;
      if (n < 0) {
        failed = true;
        break;
      }
      batch->used += static_cast<size_t>(n);
      batch->ends.push_back(static_cast<uint32_t>(batch->used));
    }
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
                       {InstanceMethod("close", &TunReader::Close), InstanceMethod("write", &TunReader::Write)});
  }

  explicit TunReader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TunReader>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !(info[0].IsNumber() || info[0].IsString()) || !info[1].IsFunction() ||
        !info[2].IsFunction()) {
      throw Napi::TypeError::New(env, "TunReader expects (fd or adapter name, onBatch, onEnd)");
    }
    auto state = std::make_shared<ReaderState>();
    state->source = OpenSource(info);
    state->on_end = Napi::Persistent(info[2].As<Napi::Function>());
    // The finalizer keeps the state alive until the thread is joined, whatever happens to this
    // JS object meanwhile.
    auto* keep = new std::shared_ptr<ReaderState>(state);
    state->to_js = Napi::ThreadSafeFunction::New(
        env, info[1].As<Napi::Function>(), "hnet:tun-reader", kQueuedBatches, 1, keep,
        [](Napi::Env env, std::shared_ptr<ReaderState>* held) {
          std::shared_ptr<ReaderState> s = *held;
          delete held;
          Finish(env, s);
        });
    state->thread = std::thread(ReadLoop, state.get());
    state_ = state;
  }

 private:
  static void Finish(Napi::Env env, const std::shared_ptr<ReaderState>& s) {
    if (s->thread.joinable()) s->thread.join();
    s->source.reset();
    s->finished = true;
    Napi::Value reason = s->error.code == 0 ? env.Null() : ErrorFrom(env, s->error.code, s->error.operation).Value();
    Napi::FunctionReference on_end = std::move(s->on_end);
    try {
      on_end.Call({reason});
    } catch (const Napi::Error& error) {
      error.ThrowAsJavaScriptException();
    }
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    const std::shared_ptr<ReaderState>& s = state_;
    if (!s->finished && !s->stopping.exchange(true)) {
      s->source->Wake();
      s->to_js.Abort();
    }
    return info.Env().Undefined();
  }

  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray()) throw Napi::TypeError::New(env, "write expects a Uint8Array");
    const std::shared_ptr<ReaderState>& s = state_;
    if (s->finished || s->stopping.load()) return Napi::Boolean::New(env, false);
    Napi::Uint8Array packet = info[0].As<Napi::Uint8Array>();
    int err = s->source->Write(packet.Data(), packet.ByteLength());
    if (err == 0) return Napi::Boolean::New(env, true);
    if (err == EAGAIN) return Napi::Boolean::New(env, false);
    throw ErrorFrom(env, err, "write");
  }

  std::shared_ptr<ReaderState> state_;
};

}  // namespace

void InitTunReader(Napi::Env env, Napi::Object exports) { exports.Set("TunReader", TunReader::Define(env)); }

}  // namespace hnet
