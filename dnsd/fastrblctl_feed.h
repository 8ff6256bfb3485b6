#pragma once
// `fastrblctl feed ...`: importing feeds into the store and rendering their datasets
// (feeds/README.md). Kept apart from fastrblctl.cc, which dispatches `feed` here.
// Not thread-safe (a command-line entry point).

namespace fastrbl::dnsd {

/// Runs `fastrblctl feed SUBCOMMAND ...`; argv[1] is "feed". Returns the exit status:
/// 0 success, 1 a data, store or fetch error or a refused import, 2 a usage error.
int feed_main(int argc, char** argv);

}  // namespace fastrbl::dnsd
