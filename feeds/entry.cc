#include "feeds/entry.h"

namespace fastrbl::feeds {

std::string DomainEntry::dnset_text() const {
  std::string out = excluded ? "!" : "";
  if (form == DomainForm::kWildcard) out += "*.";
  if (form == DomainForm::kSuffix) out += ".";
  return out + name;
}

std::string IpEntry::text() const { return (excluded ? "!" : "") + prefix.to_string(); }

std::string Diagnostic::to_string() const {
  std::string out = "file " + file;
  if (line != 0) out += "(" + std::to_string(line) + ")";
  return out + ": " + message;
}

}  // namespace fastrbl::feeds
