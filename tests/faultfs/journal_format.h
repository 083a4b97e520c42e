// The undo journal's record layout, written by fault_vfs.cc and read by
// power_cut.cc. Little-endian host order; the journal never leaves the
// machine that wrote it.
//
//   u32 magic, u32 type, u32 path_len, u32 0,
//   u64 offset, u64 length, u64 old_size, u64 pre_len,
//   path bytes, pre-image bytes, u32 ~magic
//
// A record without its footer (the process died while appending it) is the
// journal's end: the I/O it announces never happened.
#ifndef RETAIL_TESTS_FAULTFS_JOURNAL_FORMAT_H_
#define RETAIL_TESTS_FAULTFS_JOURNAL_FORMAT_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tests/faultfs/fault_vfs.h"

namespace retail::faultfs {

struct Record {
  RecordType type;
  std::string path;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t old_size = 0;
  std::string pre;  // pre-image
};

struct RecordHeader {
  uint32_t magic, type, path_len, reserved;
  uint64_t offset, length, old_size, pre_len;
};

inline std::string EncodeRecord(RecordType type, const std::string& path,
                                uint64_t offset, uint64_t length,
                                uint64_t old_size, const char* pre,
                                uint64_t pre_len) {
  RecordHeader h{kRecordMagic,
                 static_cast<uint32_t>(type),
                 static_cast<uint32_t>(path.size()),
                 0,
                 offset,
                 length,
                 old_size,
                 pre_len};
  std::string out;
  out.reserve(sizeof h + path.size() + pre_len + 4);
  out.append(reinterpret_cast<const char*>(&h), sizeof h);
  out.append(path);
  if (pre_len > 0) out.append(pre, pre_len);
  const uint32_t footer = ~kRecordMagic;
  out.append(reinterpret_cast<const char*>(&footer), sizeof footer);
  return out;
}

// Decodes every complete record of `data`; stops at the first incomplete or
// malformed one.
inline std::vector<Record> DecodeJournal(const std::string& data) {
  std::vector<Record> out;
  size_t pos = 0;
  while (pos + sizeof(RecordHeader) <= data.size()) {
    RecordHeader h;
    std::memcpy(&h, data.data() + pos, sizeof h);
    if (h.magic != kRecordMagic) break;
    const size_t body = sizeof h + h.path_len + h.pre_len;
    if (pos + body + 4 > data.size()) break;
    uint32_t footer;
    std::memcpy(&footer, data.data() + pos + body, 4);
    if (footer != ~kRecordMagic) break;
    Record r;
    r.type = static_cast<RecordType>(h.type);
    r.path.assign(data, pos + sizeof h, h.path_len);
    r.offset = h.offset;
    r.length = h.length;
    r.old_size = h.old_size;
    r.pre.assign(data, pos + sizeof h + h.path_len, h.pre_len);
    out.push_back(std::move(r));
    pos += body + 4;
  }
  return out;
}

}  // namespace retail::faultfs

#endif  // RETAIL_TESTS_FAULTFS_JOURNAL_FORMAT_H_
