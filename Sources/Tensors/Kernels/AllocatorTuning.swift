// Keeps large tensor buffers in the allocator's free lists instead of returning them to the kernel.

#if canImport(Glibc)
import Glibc
#endif

/// glibc's malloc serves blocks above its mmap threshold (128 KiB at start, raised adaptively up to
/// 32 MiB) with a fresh `mmap` and gives them back with `munmap` on `free`, and it trims the top of its
/// heaps once more than 128 KiB is free there. A training step allocates and frees thousands of
/// activation, im2col and gradient buffers of 0.1–30 MiB, so every one of them paid page faults and
/// zeroing of fresh pages: in `msr bench fewshot` about a quarter of the time was spent in the kernel
/// (`exc_page_fault`, `clear_page`, `unmap_page_range`), and ProtoNets ran 1.75× faster with the
/// settings below.
///
/// Applied once per process, at the first tensor made (`Tensor.init`): mmap threshold 32 MiB (the
/// largest glibc accepts), trim threshold 1 GiB, top pad 64 MiB. The memory stays with the process
/// for reuse (resident size grows to the peak of a step and stays there). Skipped when the
/// environment sets any of glibc's own `MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`,
/// `MALLOC_TOP_PAD_`, or `MSR_MALLOC_TUNING=off`; a no-op on other C libraries.
public enum AllocatorTuning {
    /// Whether a value of `MSR_MALLOC_TUNING` turns the tuning off (`off`, `0`, `no`, `false`, any case): the one rule
    /// for this setting and for `msr`'s restart with glibc's caches raised.
    public static func isTurnedOff(by setting: String?) -> Bool {
        guard let setting else { return false }
        return ["off", "0", "no", "false"].contains(setting.lowercased())
    }

    static let applied: Bool = {
        #if canImport(Glibc)
        if isTurnedOff(by: getenv("MSR_MALLOC_TUNING").map { String(cString: $0) }) { return false }
        for name in ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"] where getenv(name) != nil {
            return false
        }
        // `mallopt` is not in Swift's Glibc module: look it up (RTLD_DEFAULT is the null handle).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, topPad: Int32 = -2, mmapThreshold: Int32 = -3   // <malloc.h>
        let ok = mallopt(mmapThreshold, 32 << 20) == 1
        _ = mallopt(trimThreshold, 1 << 30)
        _ = mallopt(topPad, 64 << 20)
        return ok
        #else
        return false
        #endif
    }()
}
