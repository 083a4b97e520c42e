#include "client/text_table.h"

#include <algorithm>
#include <cstdint>

namespace retail::cli {
namespace {

// East Asian Wide and Fullwidth ranges (Unicode UAX #11), the ones that
// actually occur in names, addresses and notes.
bool IsWide(uint32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
         (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
         (cp >= 0x20000 && cp <= 0x3FFFD);
}

}  // namespace

int DisplayWidth(std::string_view utf8) {
  int width = 0;
  size_t i = 0;
  while (i < utf8.size()) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    int length = 1;
    uint32_t cp = lead;
    if (lead >= 0xF0) {
      length = 4;
      cp = lead & 0x07;
    } else if (lead >= 0xE0) {
      length = 3;
      cp = lead & 0x0F;
    } else if (lead >= 0xC0) {
      length = 2;
      cp = lead & 0x1F;
    }
    // A truncated sequence counts as one cell per byte rather than reading
    // past the end.
    if (i + length > utf8.size()) length = 1;
    for (int k = 1; k < length; ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    }
    width += (length > 1 && IsWide(cp)) ? 2 : 1;
    i += length;
  }
  return width;
}

void WriteAligned(const std::vector<std::vector<std::string>>& rows,
                  std::ostream& out) {
  std::vector<int> widths;
  for (const auto& row : rows) {
    if (row.size() > widths.size()) widths.resize(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) {
        line.append(widths[c] - DisplayWidth(row[c]) + 2, ' ');
      }
    }
    out << line << '\n';
  }
}

}  // namespace retail::cli
