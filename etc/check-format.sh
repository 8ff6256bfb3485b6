#!/bin/sh
# Fails if any C++ source of the project differs from clang-format's output (STYLE.md 38).
# Run by ctest as the test "clang_format"; fix with:
#   clang-format -i $(git ls-files '*.cc' '*.h')
set -eu
cd "$(dirname "$0")/.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files '*.cc' '*.h')
else
  files=$(find core zones loader feeds dnsd bench tests -name '*.cc' -o -name '*.h')
fi
# shellcheck disable=SC2086
exec clang-format --dry-run --Werror $files
