// Masking of personal names for public boards (张*华).
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace jifen::publicity {

// Keeps the first and the last character (Unicode code point) and replaces each one between with
// '*': "张三华" -> "张*华", "欧阳小明" -> "欧**明"; two characters keep the first: "张三" -> "张*";
// one character is starred: "张" -> "*". Idempotent, so a name the registry already masked is
// unchanged. Invalid UTF-8 bytes count as one character each (never split into broken output).
std::string MaskName(absl::string_view name);

}  // namespace jifen::publicity
