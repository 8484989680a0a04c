// Checks of free text typed by people (reasons, notes, names) that every service applies alike.
// Chinese input methods type U+3000 (ideographic space) for a space, and phones paste no-break and
// zero-width spaces: a reason made only of those is as empty as one of ASCII spaces, and a limit
// told to a person in characters (字) must count characters, not UTF-8 bytes.
#pragma once

#include <vector>

#include "absl/strings/string_view.h"

namespace jifen::text {

// The number of characters of valid UTF-8, or -1 if `text` is not valid UTF-8 (overlong forms,
// surrogates and values above U+10FFFF are invalid).
int Utf8Length(absl::string_view text);

// The characters of `text`, each as its UTF-8 bytes; an invalid byte is a "character" of its own.
std::vector<absl::string_view> Utf8Characters(absl::string_view text);

// `text` without leading and trailing white space: ASCII white space and the Unicode spaces
// (U+00A0, U+1680, U+2000–U+200B, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF).
absl::string_view TrimSpaces(absl::string_view text);

// True if `text` is empty or white space only, as TrimSpaces sees it.
bool IsBlank(absl::string_view text);

// The longest start of `text` of at most `max_bytes` bytes that does not end inside a UTF-8
// character: a message cut for a size limit must not end in half a character (shown as U+FFFD).
absl::string_view Utf8Prefix(absl::string_view text, size_t max_bytes);

// True for 64 lowercase hex digits: how a SHA-256 is written, and so a photo reference (the
// gateway stores each photo under the SHA-256 of its bytes and answers that as photo_ref).
bool IsLowercaseSha256Hex(absl::string_view text);

}  // namespace jifen::text
