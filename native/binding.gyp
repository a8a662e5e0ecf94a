{
  # The kernel sources are compiled once per instruction-set level into static libraries, each
  # in its own namespace (-DRNNLM_ISA=...), and napi/binding.cc picks one at load time from what
  # the CPU supports. So the addon built on any x86-64 machine runs on any other, and arm64 (or
  # any other target) builds the portable "generic" set only.
  'variables': {
    'rnnlm_kernel_sources': [
      'matmul.cc',
      'elementwise.cc',
      'embedding.cc',
      'softmax_xent.cc',
      'recurrent.cc',
      'optim.cc',
      'table.cc',
    ],
    'rnnlm_kernel_cflags': ['-O3', '-fPIC', '-ffp-contract=fast', '-fno-math-errno', '-fno-trapping-math',
                            '-fvisibility=hidden', '-Wno-ignored-attributes', '-Wno-psabi'],
  },
  'targets': [
    {
      'target_name': 'rnnlm_kernels_generic',
      'type': 'static_library',
      'sources': ['<@(rnnlm_kernel_sources)'],
      'defines': ['RNNLM_ISA=generic'],
      'cflags': ['<@(rnnlm_kernel_cflags)'],
      'xcode_settings': {'OTHER_CFLAGS': ['<@(rnnlm_kernel_cflags)']},
    },
    {
      'target_name': 'rnnlm_native',
      'sources': ['napi/binding.cc', 'pool.cc'],
      'dependencies': ['rnnlm_kernels_generic'],
      'cflags': ['-O2', '-fvisibility=hidden'],
      'conditions': [
        ['target_arch=="x64"', {
          'dependencies': ['rnnlm_kernels_avx2', 'rnnlm_kernels_avx512'],
          'defines': ['RNNLM_HAVE_X86_VARIANTS'],
        }],
      ],
    },
  ],
  'conditions': [
    ['target_arch=="x64"', {
      'targets': [
        {
          'target_name': 'rnnlm_kernels_avx2',
          'type': 'static_library',
          'sources': ['<@(rnnlm_kernel_sources)'],
          'defines': ['RNNLM_ISA=avx2'],
          'cflags': ['<@(rnnlm_kernel_cflags)', '-mavx2', '-mfma'],
        },
        {
          'target_name': 'rnnlm_kernels_avx512',
          'type': 'static_library',
          'sources': ['<@(rnnlm_kernel_sources)'],
          'defines': ['RNNLM_ISA=avx512'],
          'cflags': ['<@(rnnlm_kernel_cflags)', '-mavx512f', '-mavx512vl', '-mavx512bw', '-mavx512dq', '-mavx2',
                     '-mfma', '-mprefer-vector-width=512'],
        },
      ],
    }],
  ],
}
