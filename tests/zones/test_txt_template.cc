// Tests for zones::expand_txt, rbldnsd's txtsubst (compat §3.6). Expected strings were
// confirmed against the Debian rbldnsd 1.0pre (snapshot 20210120) where noted [E].

#include "zones/txt_template.h"

#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

using fastrbl::zones::expand_txt;
using fastrbl::zones::kMaxTxtLen;
using fastrbl::zones::TxtVars;

namespace {

constexpr std::string_view kSubject = "10.0.0.4";

std::string expand(std::string_view tmpl, const TxtVars& vars = {}, std::string_view subject = kSubject) {
  std::array<char, kMaxTxtLen> out{};
  const std::size_t n = expand_txt(tmpl, vars, subject, out);
  REQUIRE(n <= kMaxTxtLen);
  return std::string(out.data(), n);
}

TxtVars with_base(std::string_view base) {
  TxtVars v;
  v.base = base;
  return v;
}

TxtVars with_var(std::size_t d, std::string_view text, TxtVars v = {}) {
  v.var[d] = text;
  v.defined[d] = true;
  return v;
}

}  // namespace

TEST_CASE("expand_txt: plain text is copied", "[txt_template]") {
  CHECK(expand("Listed in bl.example") == "Listed in bl.example");
}

TEST_CASE("expand_txt: empty body gives no TXT", "[txt_template]") {
  CHECK(expand("").empty());
  CHECK(expand("=").empty());                  // [E] rule 1 with nothing after '='
  CHECK(expand("=", with_base("B")).empty());  // [E] '=' beats the base template
}

TEST_CASE("expand_txt: T starting with '=' is its own body, $= is that body", "[txt_template]") {
  CHECK(expand("=self[$=]$") == "self[self[$=]$]10.0.0.4");  // [E]
  // The base template is not used, but variables are.
  CHECK(expand("=own[$=]$2", with_var(2, "two", with_base("base[$=]($)"))) == "own[own[$=]$2]two");  // [E]
  CHECK(expand("=literal") == "literal");
}

TEST_CASE("expand_txt: base template with a non-empty T", "[txt_template]") {
  CHECK(expand("entry", with_base("base[$=]($)"), "10.0.0.1") == "base[entry](10.0.0.1)");  // [E]
  // The snapshot's fix: a bare `$` in the base is the subject, not T (compat §3.6).
  CHECK(expand("r123", with_base("See http://bl.example/lookup?$= ($) for details"), "127.0.0.2") ==
        "See http://bl.example/lookup?r123 (127.0.0.2) for details");
  // `$=` inserts T verbatim: no expansion inside it.
  CHECK(expand("$", with_base("base[$=]($)")) == "base[$](10.0.0.4)");  // [E]
  CHECK(expand("a$1b", with_var(1, "ONE", with_base("[$=]"))) == "[a$1b]");
}

TEST_CASE("expand_txt: base template with an empty T (every entry gets a TXT)", "[txt_template]") {
  CHECK(expand("", with_base("base[$=]($)"), "10.0.0.2") == "base[10.0.0.2](10.0.0.2)");  // [E]
  CHECK(expand("", with_base("B")) == "B");                                               // [E]
}

TEST_CASE("expand_txt: without a base, $= is T itself", "[txt_template]") {
  CHECK(expand("a$=b") == "aa$=bb");  // [E]
}

TEST_CASE("expand_txt: $$ is a dollar", "[txt_template]") {
  CHECK(expand("$$") == "$");
  CHECK(expand("cost $$5") == "cost $5");
  CHECK(expand("$$$$") == "$$");
  CHECK(expand("$$ and $x and $1", with_var(1, "VAR-ONE")) == "$ and 10.0.0.4x and VAR-ONE");  // [E]
}

TEST_CASE("expand_txt: $d with the variable defined", "[txt_template]") {
  TxtVars v = with_var(0, "zero", with_var(9, "nine"));
  CHECK(expand("$0-$9", v) == "zero-nine");
  CHECK(expand("$0$0", v) == "zerozero");
  // The variable's text is inserted verbatim, `$` and all.
  CHECK(expand("v[$3]", with_var(3, "has $ dollar and $1 ref")) == "v[has $ dollar and $1 ref]");  // [E]
  // A defined but empty variable inserts nothing.
  CHECK(expand("<$4>", with_var(4, "")) == "<>");
}

TEST_CASE("expand_txt: $d with the variable undefined stays literal", "[txt_template]") {
  CHECK(expand("x$9y") == "x$9y");  // [E]
  CHECK(expand("$1", with_var(2, "two")) == "$1");
  CHECK(expand("end $5") == "end $5");
}

TEST_CASE("expand_txt: $= expansions in the body", "[txt_template]") {
  CHECK(expand("=[$=][$=]") == "[[$=][$=]][[$=][$=]]");
  CHECK(expand("T", with_base("$=$=$=")) == "TTT");
}

TEST_CASE("expand_txt: $x is the subject and keeps x", "[txt_template]") {
  CHECK(expand("$x") == "10.0.0.4x");
  CHECK(expand("a $ b") == "a 10.0.0.4 b");
  CHECK(expand("$a$b", {}, "S") == "SaSb");
  CHECK(expand("${}") == "10.0.0.4{}");
}

TEST_CASE("expand_txt: trailing $ is the subject", "[txt_template]") {
  CHECK(expand("tail$", {}, "10.0.0.3") == "tail10.0.0.3");  // [E]
  CHECK(expand("$") == "10.0.0.4");
  CHECK(expand("a$", {}, "") == "a");
}

TEST_CASE("expand_txt: output is capped at 254 bytes", "[txt_template]") {
  CHECK(expand(std::string(255, 'M')) == std::string(254, 'M'));  // [E]
  CHECK(expand(std::string(254, 'M')) == std::string(254, 'M'));
  CHECK(expand(std::string(400, 'M')) == std::string(254, 'M'));
  // Expansions are cut at the cap, part of them kept [E].
  CHECK(expand(std::string(250, 'L') + "$", {}, "10.0.0.3") == std::string(250, 'L') + "10.0");
  CHECK(expand(std::string(253, 'N') + "$$") == std::string(253, 'N') + "$");
  CHECK(expand(std::string(252, 'P') + "$1") == std::string(252, 'P') + "$1");
  CHECK(expand(std::string(253, 'Q') + "$1") == std::string(253, 'Q') + "$");
  CHECK(expand(std::string(253, 'R') + "$3", with_var(3, "has")) == std::string(253, 'R') + "h");
  CHECK(expand(std::string(253, 'S') + "$", {}, "10.0.0.1") == std::string(253, 'S') + "1");
  CHECK(expand(std::string(254, 'T') + "$") == std::string(254, 'T'));
  // Through `$=` and the base template too.
  const std::string big(200, 'e');
  CHECK(expand(big, with_base("$=$=")) == big + std::string(54, 'e'));
}
