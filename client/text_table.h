#ifndef RETAIL_CLIENT_TEXT_TABLE_H_
#define RETAIL_CLIENT_TEXT_TABLE_H_

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace retail::cli {

// Columns on a terminal, measured in cells, not bytes: customer names are
// often Chinese, and a CJK character is three UTF-8 bytes but two cells wide.
// Counting bytes would push every column after a Chinese name out of line.
int DisplayWidth(std::string_view utf8);

// Writes `rows` with each column padded to its widest cell and two spaces
// between columns. The last column is not padded, so lines have no trailing
// blanks. Rows may be shorter than others; missing cells print empty.
void WriteAligned(const std::vector<std::vector<std::string>>& rows,
                  std::ostream& out);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_TEXT_TABLE_H_
