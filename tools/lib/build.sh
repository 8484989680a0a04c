# shellcheck shell=bash
# Configure and build the project the same way for tools/test.sh and tools/stack.sh.
# Sourced; callers run with `set -euo pipefail` and have cd'ed to the repository root.
#
# Environment:
#   JIFEN_BUILD_DIR    build folder, relative to the repository root or absolute (default: build)
#   JIFEN_BUILD_TYPE   CMAKE_BUILD_TYPE (default: RelWithDebInfo)
#   JIFEN_JOBS         parallel compile jobs (default: 2)
#   CCACHE_DIR         default /var/cache/jifen-ccache when writable, else ~/.cache/ccache

jifen_build_dir() { printf '%s\n' "${JIFEN_BUILD_DIR:-build}"; }

jifen_setup_ccache() {
  if [[ -z ${CCACHE_DIR:-} ]]; then
    if mkdir -p /var/cache/jifen-ccache 2>/dev/null && [[ -w /var/cache/jifen-ccache ]]; then
      export CCACHE_DIR=/var/cache/jifen-ccache
    else
      export CCACHE_DIR=$HOME/.cache/ccache
    fi
  fi
  # Paths under the checkout hash the same from any clone, so CI's fresh clones hit the cache.
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
  export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
}

# Configures (Ninja on a new folder; an existing folder keeps its generator) and builds.
jifen_configure_and_build() {
  local dir
  dir=$(jifen_build_dir)
  jifen_setup_ccache
  local -a generator=()
  [[ -f $dir/CMakeCache.txt ]] || generator=(-G Ninja)
  cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="${JIFEN_BUILD_TYPE:-RelWithDebInfo}"
  cmake --build "$dir" -j "${JIFEN_JOBS:-2}"
}
