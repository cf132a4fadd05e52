// The Windows helper's named pipes (the control pipe and each session's data pipe), created and
// accepted here rather than through Node's net.Server: libuv creates pipes with the default security descriptor (read access for
// Everyone) and never exposes the pipe HANDLE, so neither the DACL nor the client's identity could
// be controlled from JavaScript.
//
// UNTESTED: written against the Win32 documentation without a Windows machine; compiled only on
// Windows (the rest of this file is empty elsewhere).
#include "pipe-accept.h"

#include "errors.h"

#if defined(_WIN32)

#include <windows.h>
#include <sddl.h>
#include <uv.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

namespace hnet {

namespace {

constexpr DWORD kPipeBufferBytes = 256 * 1024;

std::wstring Widen(const std::string& text) {
  if (text.empty()) return std::wstring();
  int length = MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  std::wstring wide(static_cast<size_t>(length), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), wide.data(), length);
  return wide;
}

std::string SidText(PSID sid) {
  LPSTR text = nullptr;
  if (!ConvertSidToStringSidA(sid, &text)) return std::string();
  std::string result(text);
  LocalFree(text);
  return result;
}

// Win32 errors mapped onto the errno names the TypeScript side already branches on.
int ErrnoFromWin32(DWORD code) {
  switch (code) {
    case ERROR_ACCESS_DENIED: return EACCES;
    case ERROR_PIPE_BUSY: return EBUSY;
    case ERROR_INVALID_PARAMETER:
    case ERROR_INVALID_NAME: return EINVAL;
    case ERROR_NO_DATA:
    case ERROR_BROKEN_PIPE: return EPIPE;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY: return ENOMEM;
    case WAIT_TIMEOUT:
    case ERROR_SEM_TIMEOUT: return ETIMEDOUT;
    default: return EIO;
  }
}

struct HandleCloser {
  void operator()(HANDLE h) const {
    if (h != nullptr && h != INVALID_HANDLE_VALUE) CloseHandle(h);
  }
};
using Handle = std::unique_ptr<void, HandleCloser>;

Napi::Error Win32Error(Napi::Env env, const std::string& operation, DWORD code) {
  int err = ErrnoFromWin32(code);
  Napi::Error error =
      Napi::Error::New(env, operation + " failed (Windows error " + std::to_string(code) + ")");
  error.Set("code", Napi::String::New(env, ErrnoName(err)));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, operation));
  return error;
}

// Which instance of a pipe to create. A data pipe has exactly one. The control pipe has many, all
// created under the same name; only the first may be created with FIRST_PIPE_INSTANCE, later ones
// join it, and the server keeps one instance open at all times so no one else can take the name.
enum class Instance { kOnly, kFirst, kAnother };

Instance ParseInstance(Napi::Env env, const Napi::Value& value) {
  if (value.IsUndefined()) return Instance::kOnly;
  std::string text = value.IsString() ? value.As<Napi::String>().Utf8Value() : std::string();
  if (text == "only") return Instance::kOnly;
  if (text == "first") return Instance::kFirst;
  if (text == "another") return Instance::kAnother;
  throw Napi::TypeError::New(env, "acceptPipeClient: instance must be \"only\", \"first\" or \"another\"");
}

// Created here, on the JS thread, so the pipe exists before the helper names it to the engine.
Handle CreatePipe(Napi::Env env, const std::wstring& name, const std::wstring& sddl, Instance instance) {
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &descriptor, nullptr)) {
    throw Win32Error(env, "ConvertStringSecurityDescriptorToSecurityDescriptor", GetLastError());
  }
  SECURITY_ATTRIBUTES attributes{sizeof(attributes), descriptor, FALSE};
  // FIRST_PIPE_INSTANCE: if someone already created a pipe of this name (squatting, to receive
  // the engine's packets or its requests), fail instead of joining it. A data pipe has one
  // instance, so nobody can add another.
  DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
  if (instance != Instance::kAnother) open_mode |= FILE_FLAG_FIRST_PIPE_INSTANCE;
  DWORD max_instances = instance == Instance::kOnly ? 1 : PIPE_UNLIMITED_INSTANCES;
  HANDLE pipe = CreateNamedPipeW(name.c_str(), open_mode,
                                 PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                                 max_instances, kPipeBufferBytes, kPipeBufferBytes, 0, &attributes);
  DWORD code = GetLastError();
  LocalFree(descriptor);
  if (pipe == INVALID_HANDLE_VALUE) throw Win32Error(env, "CreateNamedPipe", code);
  return Handle(pipe);
}

class AcceptWorker : public Napi::AsyncWorker {
 public:
  // timeout_ms 0 waits for ever: the control pipe's pending instance is there to be connected to
  // whenever an engine starts, and the server wakes it itself when it closes.
  AcceptWorker(Napi::Env env, Handle pipe, DWORD timeout_ms)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), pipe_(std::move(pipe)),
        timeout_ms_(timeout_ms == 0 ? INFINITE : timeout_ms) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    HANDLE pipe = pipe_.get();
    if (!WaitForClient(pipe)) return;
    if (!GetNamedPipeClientProcessId(pipe, &pid_)) return Fail("GetNamedPipeClientProcessId");
    ReadIdentity();  // a failure is recorded by Fail() and reported by OnError
  }

  // The fd must come from node.exe's C runtime, the one libuv's uv_pipe_open and fs.closeSync
  // look it up in: node-gyp links addons with their own static CRT (/MT), whose _open_osfhandle
  // would fill a different descriptor table. uv_open_osfhandle is libuv's, exported by node.exe.
  void OnOK() override {
    Napi::Env env = Env();
    int fd = uv_open_osfhandle(pipe_.get());
    if (fd < 0) {
      deferred_.Reject(Win32Error(env, "uv_open_osfhandle", ERROR_TOO_MANY_OPEN_FILES).Value());
      return;
    }
    pipe_.release();  // the descriptor owns it now, and JS owns the descriptor
    Napi::Object result = Napi::Object::New(env);
    result.Set("fd", Napi::Number::New(env, fd));
    result.Set("pid", Napi::Number::New(env, pid_));
    result.Set("sid", Napi::String::New(env, sid_));
    Napi::Array groups = Napi::Array::New(env, groups_.size());
    for (size_t i = 0; i < groups_.size(); i++) groups.Set(i, Napi::String::New(env, groups_[i]));
    result.Set("groups", groups);
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error&) override { deferred_.Reject(Win32Error(Env(), operation_, win32_).Value()); }

 private:
  void Fail(const char* operation, DWORD code = GetLastError()) {
    operation_ = operation;
    win32_ = code;
    SetError(operation);
  }

  bool WaitForClient(HANDLE pipe) {
    Handle event(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (event.get() == nullptr) {
      Fail("CreateEvent");
      return false;
    }
    OVERLAPPED overlapped{};
    overlapped.hEvent = event.get();
    if (ConnectNamedPipe(pipe, &overlapped)) return true;
    DWORD code = GetLastError();
    if (code == ERROR_PIPE_CONNECTED) return true;
    if (code != ERROR_IO_PENDING) {
      Fail("ConnectNamedPipe", code);
      return false;
    }
    if (WaitForSingleObject(event.get(), timeout_ms_) != WAIT_OBJECT_0) {
      CancelIoEx(pipe, &overlapped);
      DWORD ignored = 0;
      GetOverlappedResult(pipe, &overlapped, &ignored, TRUE);  // the cancelled I/O must finish first
      Fail("ConnectNamedPipe", WAIT_TIMEOUT);
      return false;
    }
    DWORD ignored = 0;
    if (!GetOverlappedResult(pipe, &overlapped, &ignored, FALSE)) {
      Fail("ConnectNamedPipe");
      return false;
    }
    return true;
  }

  // The client's user and enabled groups, from its process token. The process is still connected,
  // so its pid cannot have been reused yet.
  bool ReadIdentity() {
    Handle process(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid_));
    if (process.get() == nullptr) {
      Fail("OpenProcess");
      return false;
    }
    HANDLE raw_token = nullptr;
    if (!OpenProcessToken(process.get(), TOKEN_QUERY, &raw_token)) {
      Fail("OpenProcessToken");
      return false;
    }
    Handle token(raw_token);
    std::vector<BYTE> user = TokenInfo(token.get(), TokenUser);
    if (user.empty()) return false;
    sid_ = SidText(reinterpret_cast<TOKEN_USER*>(user.data())->User.Sid);
    if (sid_.empty()) {
      Fail("ConvertSidToStringSid");
      return false;
    }
    std::vector<BYTE> groups = TokenInfo(token.get(), TokenGroups);
    if (groups.empty()) return false;
    const TOKEN_GROUPS* list = reinterpret_cast<const TOKEN_GROUPS*>(groups.data());
    for (DWORD i = 0; i < list->GroupCount; i++) {
      const SID_AND_ATTRIBUTES& group = list->Groups[i];
      // Deny-only groups (e.g. Administrators in a non-elevated token) must not grant anything.
      if ((group.Attributes & SE_GROUP_ENABLED) == 0 || (group.Attributes & SE_GROUP_USE_FOR_DENY_ONLY) != 0) {
        continue;
      }
      groups_.push_back(SidText(group.Sid));
    }
    return true;
  }

  std::vector<BYTE> TokenInfo(HANDLE token, TOKEN_INFORMATION_CLASS kind) {
    DWORD size = 0;
    GetTokenInformation(token, kind, nullptr, 0, &size);
    std::vector<BYTE> buffer(size);
    if (size == 0 || !GetTokenInformation(token, kind, buffer.data(), size, &size)) {
      Fail("GetTokenInformation");
      return {};
    }
    return buffer;
  }

  Napi::Promise::Deferred deferred_;
  Handle pipe_;
  DWORD timeout_ms_;
  ULONG pid_ = 0;
  std::string sid_;
  std::vector<std::string> groups_;
  std::string operation_;
  DWORD win32_ = 0;
};

}  // namespace

Napi::Value AcceptPipeClient(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsNumber()) {
    throw Napi::TypeError::New(env, "acceptPipeClient expects (pipeName, sddl, timeoutMs, instance?)");
  }
  Instance instance = ParseInstance(env, info.Length() > 3 ? info[3] : env.Undefined());
  Handle pipe = CreatePipe(env, Widen(info[0].As<Napi::String>().Utf8Value()), Widen(info[1].As<Napi::String>().Utf8Value()),
                           instance);
  auto* worker = new AcceptWorker(env, std::move(pipe), info[2].As<Napi::Number>().Uint32Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace hnet

#else

namespace hnet {

Napi::Value AcceptPipeClient(const Napi::CallbackInfo& info) { ThrowUnsupported(info.Env(), "acceptPipeClient"); }

}  // namespace hnet

#endif
