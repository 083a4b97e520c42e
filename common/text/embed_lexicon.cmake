# Writes the lexicon files into a C++ source (see lexicon_data.h):
#   cmake -DDIR=<lexicon dir> -DOUT=<lexicon_data.cc> -P embed_lexicon.cmake
# Every byte as a \xNN escape, so no content can end the literal early and
# the views are constant-initialised.
set(code "// Generated from ${DIR} by embed_lexicon.cmake; do not edit.\n")
string(APPEND code "#include \"common/text/lexicon_data.h\"\n\n")
string(APPEND code "namespace retail::text::internal {\nnamespace {\n\n")
set(views "")
foreach(pair "topics;kTopicsTsv" "sentiment;kSentimentTsv" "modifiers;kModifiersTsv")
  list(GET pair 0 name)
  list(GET pair 1 symbol)
  file(READ ${DIR}/${name}.tsv hex HEX)
  string(LENGTH "${hex}" digits)
  math(EXPR size "${digits} / 2")
  # 24 bytes (48 hex digits) to a line.
  string(REGEX REPLACE "(................................................)" "\\1;"
         lines "${hex}")
  string(APPEND code "constexpr char ${symbol}Bytes[] =\n")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "(..)" "\\\\x\\1" escaped "${line}")
    string(APPEND code "    \"${escaped}\"\n")
  endforeach()
  string(APPEND code "    \"\";\n\n")
  string(APPEND views "const absl::string_view ${symbol}(${symbol}Bytes, ${size});\n")
endforeach()
string(APPEND code "}  // namespace\n\n${views}\n}  // namespace retail::text::internal\n")
file(WRITE ${OUT} "${code}")
