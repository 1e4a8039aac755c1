/*
 * cuda_emulation.cpp: run the kernels of neuron_cuda.cu on the host, for the CPU test suite.
 *
 * The CUDA keywords become plain C++, blockIdx/threadIdx become globals, and sa_emulate()
 * "launches" a kernel by calling it once per (block, thread), with its arguments given the way
 * cuLaunchKernel takes them (an array of pointers to each argument). So the tests run the very
 * source NVRTC compiles, thread indexing included (float32/float64 only: the 16-bit types use
 * PTX instructions). Not used by the library itself.
 *
 *     c++ -std=c++14 -O1 -ffp-contract=off -fPIC -shared -DSA_DTYPE=0 cuda_emulation.cpp -o ...
 */
#include <math.h>
#include <string.h>

#include <cstddef>
#include <utility>

#define __CUDACC__ 1
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict

struct sa_dim3 {
    unsigned int x, y, z;
};
static sa_dim3 blockIdx, threadIdx, blockDim, gridDim;

#include "neuron_cuda.cu"

template <class... A, std::size_t... I>
static void sa_call(void (*kernel)(A...), void **args, std::index_sequence<I...>) {
    kernel(*static_cast<A *>(args[I])...);
}

template <class... A>
static void sa_launch(void (*kernel)(A...), long long grid, long long block, void **args) {
    gridDim.x = (unsigned int)grid;
    blockDim.x = (unsigned int)block;
    for (long long b = 0; b < grid; ++b) {
        for (long long t = 0; t < block; ++t) {
            blockIdx.x = (unsigned int)b;
            threadIdx.x = (unsigned int)t;
            sa_call(kernel, args, std::index_sequence_for<A...>{});
        }
    }
}

/* Launch kernel `name` on a grid of `grid` blocks of `block` threads; 0 on success. */
extern "C" int sa_emulate(const char *name, long long grid, long long block, void **args) {
    if (strcmp(name, "sa_forward") == 0) {
        sa_launch(sa_forward, grid, block, args);
        return 0;
    }
    if (strcmp(name, "sa_backward") == 0) {
        sa_launch(sa_backward, grid, block, args);
        return 0;
    }
    return -1;
}
