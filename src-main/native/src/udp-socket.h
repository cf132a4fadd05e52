#pragma once
#include <napi.h>

namespace hnet {

// new UdpSocket(port, dualStack, onBatch(data: Buffer, count, oversized), onError(error))
//   A non-blocking UDP socket bound to [::]:port (IPv4 mapped, IPV6_V6ONLY off) or 0.0.0.0:port,
//   4 MiB kernel buffers. Throws a NativeError (code EADDRINUSE, EAFNOSUPPORT…) when it cannot.
//   Received datagrams reach onBatch on the JS thread, up to 64 per call: datagram i is
//   data[ends[i-1] .. ends[i]) and came from the 24-byte record sources[24 i ..] (16-byte IPv6
//   address with IPv4 as ::ffff:a.b.c.d, port in network order, 2 zero bytes, scope id of a
//   link-local source as a native u32, else 0). `ends` and `sources` are properties of the socket,
//   rewritten for every batch. `oversized` counts datagrams dropped since the last call for being
//   longer than 2048 bytes.
//   .port: the bound port
//   .sockaddr(ip, port) -> the destination in the socket's own sockaddr form, for send; undefined
//                          when ip is not an IP literal (a `%zone` suffix names the interface)
//   .send(packet, sockaddr) -> 0, or the errno of the one sendto() (nothing is thrown or queued)
//   .sendMany(packets, sockaddrs, count) -> how many of the first count (at most 64) failed, sent
//                          with sendmmsg; .sendErrors[i] is then packet i's errno, or 0 if it went
//   .interfaceName(scopeId) -> the interface's name, or the number as text
//   .useLane(lane | null): datagrams the data lane takes skip onBatch; the lane sends through
//                          this socket (data-lane.h)
//   .close(): stops receiving and closes the fd; no callback follows
// Not available on Windows (throws ENOTSUP), where the engine keeps node:dgram.
void InitUdpSocket(Napi::Env env, Napi::Object exports);

}  // namespace hnet
