// Square roots as LLVM's sqrt intrinsic. Swift's squareRoot() on Linux calls C's sqrtf/sqrt with errno
// semantics (a scalar square root, a branch and a library call for negative inputs), which no loop vectorises;
// clang's elementwise builtin sets no errno, so a loop of these becomes vector square roots. Same IEEE result.
#ifndef MSR_CVECTORMATH_SHIM_H
#define MSR_CVECTORMATH_SHIM_H
static inline float msr_sqrtf(float x) { return __builtin_elementwise_sqrt(x); }
static inline double msr_sqrt(double x) { return __builtin_elementwise_sqrt(x); }
#endif
