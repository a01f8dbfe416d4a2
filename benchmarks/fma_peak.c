// The machine's measured single-precision FMA peak, the denominator of "fraction of peak" in BENCHMARKS.md.
//
// Each thread runs 12 independent chains of vfmadd231ps (enough to cover the FMA latency on every x86 core of
// the last decade) on 512-bit (zmm) or 256-bit (ymm) registers, from inline assembly so the compiler can
// neither fold nor reorder them; a multiply-add counts 2 FLOPs, as PyTorch's FlopCounterMode counts them.
// Usage: gcc -O2 -pthread -o /tmp/fma_peak benchmarks/fma_peak.c && /tmp/fma_peak [threads] [512|256]
// Prints one line: threads, width, GFLOP/s in total and per thread (median of 5 runs).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ITERATIONS 50000000L

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define FMA12(reg)                                                                                                 \
    "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "0\n\t"  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "1\n\t" \
    "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "2\n\t"  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "3\n\t" \
    "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "4\n\t"  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "5\n\t" \
    "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "6\n\t"  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "7\n\t" \
    "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "8\n\t"  "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "9\n\t" \
    "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "10\n\t" "vfmadd231ps %%" reg "12, %%" reg "13, %%" reg "11\n\t"

#define CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11"

static void *chains512(void *unused) {
    for (long i = 0; i < ITERATIONS; i++) __asm__ volatile(FMA12("zmm") ::: CLOBBERS);
    return unused;
}

static void *chains256(void *unused) {
    for (long i = 0; i < ITERATIONS; i++) __asm__ volatile(FMA12("ymm") ::: CLOBBERS);
    return unused;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    int width = argc > 2 ? atoi(argv[2]) : 512;
    if (threads < 1 || threads > 256 || (width != 512 && width != 256)) {
        fprintf(stderr, "usage: %s [threads 1..256] [512|256], got %s %s\n", argv[0], argc > 1 ? argv[1] : "",
                argc > 2 ? argv[2] : "");
        return 2;
    }
    pthread_t *pool = malloc(sizeof(pthread_t) * threads);
    double rates[5];
    for (int run = 0; run < 5; run++) {
        double start = now();
        for (int t = 0; t < threads; t++) pthread_create(&pool[t], NULL, width == 512 ? chains512 : chains256, NULL);
        for (int t = 0; t < threads; t++) pthread_join(pool[t], NULL);
        double flops = (double)threads * ITERATIONS * 12 * (width / 32) * 2;
        rates[run] = flops / (now() - start) / 1e9;
    }
    qsort(rates, 5, sizeof(double), compare);
    printf("threads %d, %d-bit FMA: %.1f GFLOP/s (%.1f per thread; runs %.1f..%.1f)\n", threads, width, rates[2],
           rates[2] / threads, rates[0], rates[4]);
    free(pool);
    return 0;
}
