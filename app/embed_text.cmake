# embed_text.cmake — turns a text file into a C++ function returning it.
# Usage: cmake -DINPUT=f.yaml -DOUTPUT=f.cpp -DFUNCTION=ns::name -P embed_text.cmake
# The text goes in a raw string literal whose delimiter cannot occur in it.
file(READ "${INPUT}" content)
string(FIND "${content}" ")kestrel_embed\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter")
endif()
string(REGEX REPLACE "::[^:]*$" "" ns "${FUNCTION}")
string(REGEX REPLACE "^.*::" "" fn "${FUNCTION}")
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by embed_text.cmake. Do not edit.\n#include <string_view>\nnamespace ${ns} {\nstd::string_view ${fn}() {\n  static constexpr char kText[] = R\"kestrel_embed(${content})kestrel_embed\";\n  return {kText, sizeof(kText) - 1};\n}\n}  // namespace ${ns}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
