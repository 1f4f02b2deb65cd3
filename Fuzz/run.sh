#!/usr/bin/env bash
# Runs one fuzz target for a fixed time: ./run.sh TARGET SECONDS [libFuzzer flags…]
#
# TARGET is FuzzNPY, FuzzNPZ, FuzzSafeTensors, FuzzPNG, FuzzJPEG, FuzzOmniglot or FuzzMiniImageNet. The
# target is built first (release, libFuzzer and AddressSanitizer) if it is not. One libFuzzer job in one
# worker; the live corpus grows in work/TARGET/corpus, seeded from Corpus/TARGET (left untouched), and a
# crash, leak, timeout (10 s per input) or out-of-memory (2 GB) leaves its input in work/TARGET/artifacts/.
# The last lines of the log (work/TARGET/log) give executions per second, corpus size and peak RSS.
# lsan.supp silences leaks inside the Swift toolchain's own libraries.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: run.sh TARGET SECONDS}
seconds=${2:?usage: run.sh TARGET SECONDS}
shift 2
binary=.build/release/$target
if [ ! -x "$binary" ]; then
    swift build -c release -Xswiftc -sanitize=fuzzer,address --product "$target"
fi
mkdir -p "work/$target/corpus" "work/$target/artifacts"
cd "work/$target"
set +e
LSAN_OPTIONS="suppressions=$(cd ../.. && pwd)/lsan.supp:print_suppressions=0" "../../$binary" corpus "../../Corpus/$target" -max_total_time="$seconds" -jobs=1 -workers=1 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=artifacts/ "$@" > /dev/null 2>&1
status=$?
set -e
# With -jobs, libFuzzer writes the job's output to fuzz-0.log.
mv -f fuzz-0.log log 2>/dev/null || true
tail -n 25 log
ls artifacts
exit $status
