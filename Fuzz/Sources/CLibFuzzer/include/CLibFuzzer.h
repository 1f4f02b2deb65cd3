// libFuzzer's driver, for an executable that has a `main` of its own (SwiftPM names an executable's main
// itself, so a fuzz target cannot use libFuzzer's). Declared by compiler-rt in FuzzerInterface.h.
#ifndef MSR_CLIBFUZZER_H
#define MSR_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the command line `argc`, `argv`, calling `callback` on each input; returns the exit
/// status. Linked from libclang_rt.fuzzer when built with -sanitize=fuzzer.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
