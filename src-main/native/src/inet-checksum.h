// The Internet checksum (RFC 1071) of TCP and UDP over IPv6, for the segments the data lane cuts out
// of the kernel's large ones and the ones it joins back together.
//
// Sums are kept in the byte order of memory (words loaded and stored with memcpy): a ones'
// complement sum is the same whichever order its words are read in, so no byte is ever swapped.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hnet {

// Adds data to a running sum. Every piece but the last must have an even length.
uint64_t ChecksumAdd(const uint8_t* data, size_t length, uint64_t sum);
// The IPv6 pseudo-header (RFC 8200 §8.1) of an upper-layer packet of this length.
uint64_t PseudoHeaderSum(const uint8_t* source, const uint8_t* destination, uint32_t length, uint8_t protocol);
// The sum folded to 16 bits, as memory holds it: complemented, the checksum field's value.
uint16_t ChecksumFold(uint64_t sum);

// Fills in the checksum of the TCP or UDP packet after an IPv6 header (layer4 bytes at packet + l4,
// the pseudo-header's addresses from the header); checksum_at: the field's offset in layer 4.
void WriteLayer4Checksum(uint8_t* packet, size_t l4, size_t length, uint8_t protocol, size_t checksum_at);
// True when the TCP or UDP packet after the IPv6 header sums to all ones, as a correct one does.
bool Layer4ChecksumValid(const uint8_t* packet, size_t l4, size_t length, uint8_t protocol);

}  // namespace hnet
