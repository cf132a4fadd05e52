// Packets from a Wintun session (Windows). UNTESTED: written against wintun.h (0.14) without a
// Windows machine; compiled only on Windows, where the helper's addon builds it in too (see
// src-helper/native/binding.gyp). Windows has no TUN fd to pass, so the helper itself
// holds this session and relays packets to the engine over its pipe.
//
// wintun.dll is loaded at run time from the helper's own directory (never from PATH), so the
// signed DLL shipped with the helper is the one used.
#include "packet-source.h"

#if defined(_WIN32)

#include <windows.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace hnet {

namespace {

typedef struct WintunAdapter* WintunAdapterHandle;
typedef struct WintunSession* WintunSessionHandle;

struct WintunApi {
  WintunAdapterHandle(WINAPI* CreateAdapter)(LPCWSTR, LPCWSTR, const GUID*);
  void(WINAPI* CloseAdapter)(WintunAdapterHandle);
  WintunSessionHandle(WINAPI* StartSession)(WintunAdapterHandle, DWORD);
  void(WINAPI* EndSession)(WintunSessionHandle);
  HANDLE(WINAPI* GetReadWaitEvent)(WintunSessionHandle);
  BYTE*(WINAPI* ReceivePacket)(WintunSessionHandle, DWORD*);
  void(WINAPI* ReleaseReceivePacket)(WintunSessionHandle, const BYTE*);
  BYTE*(WINAPI* AllocateSendPacket)(WintunSessionHandle, DWORD);
  void(WINAPI* SendPacket)(WintunSessionHandle, const BYTE*);
};

// Ring capacity: a power of two between 128 KiB and 64 MiB.
constexpr DWORD kRingCapacity = 0x400000;

template <typename T>
void Resolve(HMODULE dll, const char* name, T& slot) {
  slot = reinterpret_cast<T>(GetProcAddress(dll, name));
  if (slot == nullptr) throw std::system_error(ENOENT, std::generic_category(), name);
}

WintunApi LoadWintun() {
  HMODULE dll = LoadLibraryExW(L"wintun.dll", nullptr, LOAD_LIBRARY_SEARCH_APPLICATION_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (dll == nullptr) throw std::system_error(ENOENT, std::generic_category(), "LoadLibrary(wintun.dll)");
  WintunApi api{};
  Resolve(dll, "WintunCreateAdapter", api.CreateAdapter);
  Resolve(dll, "WintunCloseAdapter", api.CloseAdapter);
  Resolve(dll, "WintunStartSession", api.StartSession);
  Resolve(dll, "WintunEndSession", api.EndSession);
  Resolve(dll, "WintunGetReadWaitEvent", api.GetReadWaitEvent);
  Resolve(dll, "WintunReceivePacket", api.ReceivePacket);
  Resolve(dll, "WintunReleaseReceivePacket", api.ReleaseReceivePacket);
  Resolve(dll, "WintunAllocateSendPacket", api.AllocateSendPacket);
  Resolve(dll, "WintunSendPacket", api.SendPacket);
  return api;
}

class WintunSource : public PacketSource {
 public:
  explicit WintunSource(const std::string& name) : api_(LoadWintun()) {
    std::wstring wide(name.begin(), name.end());  // names are validated [a-z0-9]
    adapter_ = api_.CreateAdapter(wide.c_str(), L"hnet", nullptr);
    if (adapter_ == nullptr) throw std::system_error(EIO, std::generic_category(), "WintunCreateAdapter");
    session_ = api_.StartSession(adapter_, kRingCapacity);
    if (session_ == nullptr) {
      api_.CloseAdapter(adapter_);
      throw std::system_error(EIO, std::generic_category(), "WintunStartSession");
    }
    quit_ = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  }

  ~WintunSource() override {
    api_.EndSession(session_);
    api_.CloseAdapter(adapter_);
    CloseHandle(quit_);
  }

  bool WaitReadable(SourceError& error) override {
    HANDLE events[2] = {api_.GetReadWaitEvent(session_), quit_};
    DWORD which = WaitForMultipleObjects(2, events, FALSE, INFINITE);
    if (which == WAIT_OBJECT_0) return true;
    if (which != WAIT_OBJECT_0 + 1) error = {EIO, "WaitForMultipleObjects"};
    return false;
  }

  long ReadPacket(uint8_t* out, SourceError& error) override {
    DWORD size = 0;
    BYTE* packet = api_.ReceivePacket(session_, &size);
    if (packet == nullptr) {
      if (GetLastError() == ERROR_NO_MORE_ITEMS) return 0;
      error = {EPIPE, "WintunReceivePacket"};
      return -1;
    }
    size_t length = size < kMaxPacket ? size : kMaxPacket;
    std::memcpy(out, packet, length);
    api_.ReleaseReceivePacket(session_, packet);
    return static_cast<long>(length);
  }

  void Wake() override { SetEvent(quit_); }

  int Write(const uint8_t* packet, size_t length) override {
    BYTE* slot = api_.AllocateSendPacket(session_, static_cast<DWORD>(length));
    if (slot == nullptr) return GetLastError() == ERROR_BUFFER_OVERFLOW ? EAGAIN : EPIPE;
    std::memcpy(slot, packet, length);
    api_.SendPacket(session_, slot);
    return 0;
  }

 private:
  WintunApi api_;
  WintunAdapterHandle adapter_ = nullptr;
  WintunSessionHandle session_ = nullptr;
  HANDLE quit_ = nullptr;
};

}  // namespace

std::unique_ptr<PacketSource> OpenWintunSource(const std::string& name) {
  return std::make_unique<WintunSource>(name);
}

std::unique_ptr<PacketSource> OpenFdSource(int) {
  throw std::system_error(ENOTSUP, std::generic_category(), "TUN file descriptors do not exist on Windows");
}

}  // namespace hnet

#endif
