// Square roots as LLVM's sqrt intrinsic. Swift's squareRoot() on Linux calls C's sqrtf/sqrt with errno
// semantics (a scalar square root, a branch and a library call for negative inputs), which no loop vectorises;
// clang's elementwise builtin sets no errno, so a loop of these becomes vector square roots. Same IEEE result.
// A clang without the builtin (older toolchains) gets the errno-setting one: the same values, unvectorised.
#ifndef MSR_CVECTORMATH_SHIM_H
#define MSR_CVECTORMATH_SHIM_H
#if defined(__has_builtin) && __has_builtin(__builtin_elementwise_sqrt)
static inline float msr_sqrtf(float x) { return __builtin_elementwise_sqrt(x); }
static inline double msr_sqrt(double x) { return __builtin_elementwise_sqrt(x); }
#else
static inline float msr_sqrtf(float x) { return __builtin_sqrtf(x); }
static inline double msr_sqrt(double x) { return __builtin_sqrt(x); }
#endif
#endif
