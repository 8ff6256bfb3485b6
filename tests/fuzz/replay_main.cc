// Replays a fuzz corpus through LLVMFuzzerTestOneInput without libFuzzer, so that every
// build (gcc included) runs the checked-in corpora as an ordinary test (Knot's
// tests-fuzz/main.c idea). Arguments are files or directories (walked recursively, in
// sorted order). A crash or a failed invariant aborts inside the target; an empty corpus
// is an error so that a wrong path cannot pass silently.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

std::vector<std::uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus-dir-or-file>...\n", argv[0]);
    return 2;
  }
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  try {
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) {
      const std::filesystem::path arg(argv[i]);
      if (std::filesystem::is_directory(arg)) {
        for (const auto& e : std::filesystem::recursive_directory_iterator(arg))
          if (e.is_regular_file()) files.push_back(e.path());
      } else if (std::filesystem::is_regular_file(arg)) {
        files.push_back(arg);
      } else {
        std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
        return 2;
      }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      std::fprintf(stderr, "no corpus files found\n");
      return 1;
    }
    for (const auto& f : files) {
      const std::vector<std::uint8_t> data = read_file(f);
      // An empty input is passed as a null pointer with size 0, as libFuzzer may do.
      LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
    }
    std::printf("replayed %zu inputs\n", files.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "replay: %s\n", e.what());
    return 1;
  }
  return 0;
}
