#!/usr/bin/env bash
# The optional C loops (tbwriter/reading/_frames.c, tbwriter/writing/summaries/_buckets.c) tested two more ways, each in
# a copy of the package and its tests under build/, never touching the in-place build:
#   tools/c_loops.sh sanitized [PYTEST ARGS]   built with AddressSanitizer and UBSan: the reader's fuzz test,
#                                              the record-index tests and the histogram bucket tests
#   tools/c_loops.sh absent [PYTEST ARGS]      no C at all, as an install without a compiler: the reader's
#                                              tests, which must then pass on numpy alone
# CI runs both after ./dev test (PYTHON=... picks another interpreter than .venv's).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$PWD/.venv/bin/python}

copy() {  # $1: where; the package, its tests and what they read, without any built C loop
    rm -rf "$1"
    mkdir -p "$1"
    cp -R tbwriter tests pyproject.toml README.md docs "$1/"
    find "$1" \( -name '*.so' -o -name '*.pyd' -o -name __pycache__ \) -prune -exec rm -rf {} +
}

kernels() {  # $1: "sanitized" or "absent": fails unless the copy's C loops are that
    "$PYTHON" - "$1" <<'EOF'
import sys
from tbwriter.reading import index, memory
from tbwriter.writing.summaries import buckets
for name, kernel in (("reading/_frames.c", index.KERNEL), ("summaries/_buckets.c", buckets.KERNEL)):
    if sys.argv[1] == "absent":
        assert kernel is None, f"c_loops: {name} is still built in the copy: {kernel.__file__}"
    else:
        assert kernel is not None and "/build/sanitize/" in kernel.__file__, f"c_loops: {name} was not built"
if sys.argv[1] == "sanitized":
    assert memory.EXACT and memory._POISONING, "c_loops: no exact memory, or no ASan interface in this process"
EOF
}

sanitized() {
    # Python is not instrumented, so the ASan runtime is preloaded, and every buffer the C reads must end where
    # ASan can see it: PYTHONMALLOC=malloc (no small-object arenas) and TBWRITER_EXACT_MEMORY=1 (no reused
    # scratch mappings, no readable padding after a file's bytes: see tbwriter/reading/memory.py).
    local out=$PWD/build/sanitize flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -g -O1"
    copy "$out"
    # setup.py's extensions are optional (a failed build is skipped): kernels checks that both were built
    CFLAGS="$flags" LDFLAGS="$flags" "$PYTHON" setup.py -q build_ext --build-lib "$out" --build-temp "$out/temp"
    cd "$out"
    export LD_PRELOAD
    LD_PRELOAD=$(gcc -print-file-name=libasan.so)  # the bare name when gcc has none
    if [ ! -f "$LD_PRELOAD" ]; then
        echo "c_loops: gcc has no AddressSanitizer runtime (libasan.so): install it (Debian: libasan8)" >&2
        exit 1
    fi
    export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:exitcode=99 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    export PYTHONMALLOC=malloc TBWRITER_EXACT_MEMORY=1 PYTHONPATH=$out PYTHONDONTWRITEBYTECODE=1
    kernels sanitized
    # The first report ends the process with a non-zero status; pytest captures only sys.stdout/stderr, so the
    # report, written to fd 2, is seen. Reading or counting with numpy (the "numpy" cases) runs no C: left out.
    # Bounded: the fuzz test's examples are fixed (derandomized), so a run that hangs fails too.
    exec timeout 600 "$PYTHON" -m pytest -q -p no:cacheprovider -x --capture=sys -k "not numpy] and not [numpy-" \
        tests/reading/test_reader_fuzz.py tests/reading/test_record_index.py \
        tests/writing/test_histogram.py::test_counts_exactly_as_numpy \
        tests/writing/test_histogram.py::test_float32_values_next_to_every_edge \
        tests/writing/test_histogram.py::test_value_on_an_edge_goes_right_and_minus_zero_is_zero \
        tests/writing/test_histogram.py::test_values_beyond_1e20_are_counted_with_min_and_max_as_outer_edges \
        tests/writing/test_histogram.py::test_kernel_and_numpy_fallback_agree_bit_for_bit "$@"
}

absent() {
    local out=$PWD/build/without-c
    copy "$out"
    cd "$out"
    export PYTHONPATH=$out PYTHONDONTWRITEBYTECODE=1
    kernels absent
    exec timeout 600 "$PYTHON" -m pytest -q -p no:cacheprovider -n 2 tests/reading/test_reader.py \
        tests/reading/test_reader_damage.py tests/reading/test_reader_fuzz.py tests/reading/test_record_index.py \
        tests/reading/test_read_plugins.py tests/cli/test_cli_reader.py \
        tests/reading/test_read_memory.py "$@"
}

case "${1:-}" in
    sanitized) shift; sanitized "$@" ;;
    absent) shift; absent "$@" ;;
    *) sed -n '2,8p' "$0"; exit 2 ;;
esac
