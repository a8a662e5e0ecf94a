// N-API binding of the native backend: validates every argument (types, sizes, array lengths,
// ids) exactly like the js reference's checks, then calls the kernel table of the best
// instruction-set build this CPU supports. Nothing is copied: kernels read and write the typed
// arrays' own memory. Float32 only: a Float64Array is a TypeError (float64 work goes to js).
//
// Errors are thrown as the RnnlmError class handed to init() (code + message), so callers see
// the same errors from every backend; dtype problems are TypeErrors carrying code 'dtype_mismatch'.
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <time.h>

#include "../kernels.h"
#include "../pool.h"

namespace {

using rnnlm::KernelTable;
typedef int64_t i64;

const KernelTable* g_table = nullptr;

// READ in napi callbacks (returns nullptr with the JS exception pending), REQ in bool helpers.
#define READ(x) \
  if (!(x)) return nullptr
#define REQ(x) \
  if (!(x)) return false

// ------------------------------------------------------------------ ISA selection

struct IsaEntry {
  const char* name;
  const KernelTable* (*get)();
  bool (*supported)();
};

#if defined(__x86_64__) && defined(RNNLM_HAVE_X86_VARIANTS)
bool has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("avx2");
}
bool has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif
bool always() { return true; }

const IsaEntry kIsas[] = {
#if defined(__x86_64__) && defined(RNNLM_HAVE_X86_VARIANTS)
    {"avx512", rnnlm::avx512::kernel_table, has_avx512},
    {"avx2", rnnlm::avx2::kernel_table, has_avx2},
#endif
    {"generic", rnnlm::generic::kernel_table, always},
};

const KernelTable* pick_isa(const char* want) {
  for (const IsaEntry& e : kIsas)
    if ((!want || std::strcmp(want, e.name) == 0) && e.supported()) return e.get();
  return nullptr;
}

// How bf16 gemms run, by KernelTable::set_bf16_mode index; an unknown name asks for the best.
const char* kBf16Modes[] = {"emulated", "vdpbf16ps", "amx"};
int bf16_mode_index(const char* name) {
  for (int m = 0; m < 3; m++)
    if (std::strcmp(name, kBf16Modes[m]) == 0) return m;
  return 2;
}

// ------------------------------------------------------------------ call context and errors

struct Instance {
  napi_ref error_ctor = nullptr;  // RnnlmError
};

struct Call {
  napi_env env;
  const char* kernel;
  size_t argc;
  napi_value argv[32];
  Instance* inst;
};

bool pending(napi_env env) {
  bool p = false;
  napi_is_exception_pending(env, &p);
  return p;
}

// Throws RnnlmError(code, message) (a plain Error with .code before init()).
void throw_rnnlm(Call& c, const char* code, const std::string& msg) {
  if (pending(c.env)) return;
  napi_value ctor = nullptr;
  if (c.inst && c.inst->error_ctor) napi_get_reference_value(c.env, c.inst->error_ctor, &ctor);
  if (ctor) {
    napi_value args[2], err;
    napi_create_string_utf8(c.env, code, NAPI_AUTO_LENGTH, &args[0]);
    napi_create_string_utf8(c.env, msg.c_str(), msg.size(), &args[1]);
    if (napi_new_instance(c.env, ctor, 2, args, &err) == napi_ok) {
      napi_throw(c.env, err);
      return;
    }
    if (pending(c.env)) return;
  }
  napi_throw_error(c.env, code, msg.c_str());
}

void throw_type(Call& c, const std::string& msg) {
  if (!pending(c.env)) napi_throw_type_error(c.env, "dtype_mismatch", msg.c_str());
}

std::string num(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool get_call(napi_env env, napi_callback_info info, const char* kernel, Call& c) {
  c.env = env;
  c.kernel = kernel;
  c.argc = 32;
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &c.argc, c.argv, nullptr, &data) != napi_ok) return false;
  napi_get_instance_data(env, reinterpret_cast<void**>(&c.inst));
  napi_value undef;
  napi_get_undefined(env, &undef);
  for (size_t i = c.argc; i < 32; i++) c.argv[i] = undef;
  return true;
}

// ------------------------------------------------------------------ argument readers

struct F32 {
  float* p = nullptr;
  i64 n = 0;
  bool null = true;
};
struct I32 {
  int32_t* p = nullptr;
  i64 n = 0;
};

bool is_nullish(Call& c, napi_value v) {
  napi_valuetype t;
  napi_typeof(c.env, v, &t);
  return t == napi_null || t == napi_undefined;
}

bool get_f32_value(Call& c, napi_value v, const char* name, bool nullable, F32* out);

bool get_f32(Call& c, int i, const char* name, bool nullable, F32* out) {
  return get_f32_value(c, c.argv[i], name, nullable, out);
}

bool get_f32_value(Call& c, napi_value v, const char* name, bool nullable, F32* out) {
  if (nullable && is_nullish(c, v)) {
    *out = F32();
    return true;
  }
  bool is_ta = false;
  napi_is_typedarray(c.env, v, &is_ta);
  if (!is_ta) {
    throw_type(c, std::string(c.kernel) + ": " + name + " must be a Float32Array" + (nullable ? " or null" : ""));
    return false;
  }
  napi_typedarray_type type;
  size_t len;
  void* data;
  napi_get_typedarray_info(c.env, v, &type, &len, &data, nullptr, nullptr);
  if (type == napi_float64_array) {
    throw_type(c, std::string(c.kernel) + ": " + name +
                      " is a Float64Array, but the native backend runs float32 only; float64 work goes to the js backend");
    return false;
  }
  if (type != napi_float32_array) {
    throw_type(c, std::string(c.kernel) + ": " + name + " must be a Float32Array");
    return false;
  }
  out->p = static_cast<float*>(data);
  out->n = (i64)len;
  out->null = false;
  return true;
}

bool get_i32(Call& c, int i, const char* name, I32* out) {
  napi_value v = c.argv[i];
  bool is_ta = false;
  napi_is_typedarray(c.env, v, &is_ta);
  napi_typedarray_type type = napi_int8_array;
  size_t len = 0;
  void* data = nullptr;
  if (is_ta) napi_get_typedarray_info(c.env, v, &type, &len, &data, nullptr, nullptr);
  if (!is_ta || type != napi_int32_array) {
    throw_type(c, std::string(c.kernel) + ": " + name + " must be an Int32Array");
    return false;
  }
  out->p = static_cast<int32_t*>(data);
  out->n = (i64)len;
  return true;
}

bool get_num(Call& c, int i, const char* name, double* out) {
  if (napi_get_value_double(c.env, c.argv[i], out) != napi_ok) {
    throw_rnnlm(c, "invalid_argument", std::string(c.kernel) + ": " + name + " must be a number");
    return false;
  }
  return true;
}

// A size: a non-negative integer (as the js checkSizes demands), at most 2^48.
bool get_size(Call& c, int i, const char* name, i64* out) {
  double v;
  if (napi_get_value_double(c.env, c.argv[i], &v) != napi_ok || !(v >= 0) || v != std::floor(v) || v > 281474976710656.0) {
    double shown = NAN;
    napi_get_value_double(c.env, c.argv[i], &shown);
    throw_rnnlm(c, "invalid_argument",
                std::string(c.kernel) + ": size " + name + " = " + num(shown) + " must be a non-negative integer");
    return false;
  }
  *out = (i64)v;
  return true;
}

bool get_bool(Call& c, int i, const char* name, bool* out) {
  if (napi_get_value_bool(c.env, c.argv[i], out) != napi_ok) {
    throw_rnnlm(c, "invalid_argument", std::string(c.kernel) + ": " + name + " must be a boolean");
    return false;
  }
  return true;
}

bool get_string(Call& c, int i, std::string* out) {
  char buf[64];
  size_t len = 0;
  if (napi_get_value_string_utf8(c.env, c.argv[i], buf, sizeof buf, &len) != napi_ok) return false;
  *out = std::string(buf, len);
  return true;
}

// Optional precision argument: undefined or "fp32" → false, "bf16" → true; anything else throws.
bool get_precision(Call& c, int i, bool* bf16) {
  napi_valuetype t;
  napi_typeof(c.env, c.argv[i], &t);
  *bf16 = false;
  if (t == napi_undefined) return true;
  std::string s;
  if (get_string(c, i, &s) && (s == "fp32" || s == "bf16")) {
    *bf16 = s == "bf16";
    return true;
  }
  throw_rnnlm(c, "invalid_argument", std::string(c.kernel) + ": unknown precision; use one of fp32, bf16");
  return false;
}

// a·b·c… saturating at INT64_MAX (no array is that long, so a length check then fails cleanly).
i64 mul(i64 a, i64 b) {
  i64 r;
  return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

bool need(Call& c, const char* what, const F32& a, i64 n) {
  if (a.n < n) {
    throw_rnnlm(c, "shape_mismatch",
                std::string(c.kernel) + ": " + what + " has " + num((double)a.n) + " elements but needs " + num((double)n) +
                    "; allocate it with the sizes passed to the kernel");
    return false;
  }
  return true;
}

bool exact(Call& c, const char* what, const F32& a, i64 n) {
  if (a.n != n) {
    throw_rnnlm(c, "shape_mismatch",
                std::string(c.kernel) + ": " + what + " has " + num((double)a.n) + " elements but must have " +
                    num((double)n) + " (the length of the output)");
    return false;
  }
  return true;
}

bool oom(Call& c) {
  throw_rnnlm(c, "unsupported", std::string(c.kernel) + ": out of memory for the native kernel's scratch buffers");
  return false;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}


// ------------------------------------------------------------------ linear algebra

// gemm(transA, transB, M, N, K, alpha, A, B, beta, C, precision?)
napi_value Gemm(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "gemm", c));
  bool ta, tb;
  i64 M, N, K;
  double alpha, beta;
  F32 A, B, C;
  READ(get_bool(c, 0, "transA", &ta) && get_bool(c, 1, "transB", &tb));
  READ(get_size(c, 2, "M", &M) && get_size(c, 3, "N", &N) && get_size(c, 4, "K", &K));
  READ(get_num(c, 5, "alpha", &alpha) && get_num(c, 8, "beta", &beta));
  READ(get_f32(c, 6, "A", false, &A) && get_f32(c, 7, "B", false, &B) && get_f32(c, 9, "C", false, &C));
  READ(need(c, "A", A, mul(M, K)) && need(c, "B", B, mul(K, N)) && need(c, "C", C, mul(M, N)));
  bool bf16;
  READ(get_precision(c, 10, &bf16));
  if (!g_table->gemm(ta, tb, M, N, K, (float)alpha, A.p, B.p, (float)beta, C.p, bf16)) oom(c);
  return undefined(env);
}

// ------------------------------------------------------------------ elementwise

// add(a, b, out) / mul(a, b, out)
template <int Which>
napi_value Binary(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, Which == 0 ? "add" : "mul", c));
  F32 a, b, out;
  READ(get_f32(c, 0, "a", false, &a) && get_f32(c, 1, "b", false, &b) && get_f32(c, 2, "out", false, &out));
  READ(exact(c, "a", a, out.n) && exact(c, "b", b, out.n));
  (Which == 0 ? g_table->add : g_table->mul)(a.p, b.p, out.p, out.n);
  return undefined(env);
}

// axpy(alpha, x, y)
napi_value Axpy(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "axpy", c));
  double alpha;
  F32 x, y;
  READ(get_num(c, 0, "alpha", &alpha) && get_f32(c, 1, "x", false, &x) && get_f32(c, 2, "y", false, &y));
  READ(exact(c, "x", x, y.n));
  g_table->axpy((float)alpha, x.p, y.p, y.n);
  return undefined(env);
}

// scale(x, alpha, out)
napi_value Scale(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "scale", c));
  double alpha;
  F32 x, out;
  READ(get_f32(c, 0, "x", false, &x) && get_num(c, 1, "alpha", &alpha) && get_f32(c, 2, "out", false, &out));
  READ(exact(c, "x", x, out.n));
  g_table->scale(x.p, (float)alpha, out.p, out.n);
  return undefined(env);
}

const char* kOps[] = {"tanh", "sigmoid", "relu", "exp", "log", "neg"};

bool get_op(Call& c, int i, int* op) {
  std::string s;
  if (get_string(c, i, &s))
    for (int k = 0; k < 6; k++)
      if (s == kOps[k]) {
        *op = k;
        return true;
      }
  throw_rnnlm(c, "invalid_argument",
              std::string(c.kernel) + ": unknown unary op \"" + s + "\"; use one of tanh, sigmoid, relu, exp, log, neg");
  return false;
}

// unary(op, x, out)
napi_value Unary(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "unary", c));
  int op;
  F32 x, out;
  READ(get_op(c, 0, &op));
  std::string k = std::string("unary(") + kOps[op] + ")";
  c.kernel = k.c_str();
  READ(get_f32(c, 1, "x", false, &x) && get_f32(c, 2, "out", false, &out));
  READ(exact(c, "x", x, out.n));
  g_table->unary(op, x.p, out.p, out.n);
  return undefined(env);
}

// unaryBackward(op, x, y, dy, dx): only the operand the derivative reads has to match.
napi_value UnaryBackward(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "unaryBackward", c));
  int op;
  F32 x, y, dy, dx;
  READ(get_op(c, 0, &op));
  std::string k = std::string("unaryBackward(") + kOps[op] + ")";
  c.kernel = k.c_str();
  READ(get_f32(c, 1, "x", false, &x) && get_f32(c, 2, "y", false, &y) && get_f32(c, 3, "dy", false, &dy) &&
       get_f32(c, 4, "dx", false, &dx));
  READ(exact(c, "dy", dy, dx.n));
  if (op == rnnlm::OP_TANH || op == rnnlm::OP_SIGMOID || op == rnnlm::OP_EXP) READ(exact(c, "y", y, dx.n));
  if (op == rnnlm::OP_RELU || op == rnnlm::OP_LOG) READ(exact(c, "x", x, dx.n));
  g_table->unary_backward(op, x.p, y.p, dy.p, dx.p, dx.n);
  return undefined(env);
}

// addRowVector(x, v, R, C)
napi_value AddRowVector(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "addRowVector", c));
  F32 x, v;
  i64 R, C;
  READ(get_f32(c, 0, "x", false, &x) && get_f32(c, 1, "v", false, &v));
  READ(get_size(c, 2, "R", &R) && get_size(c, 3, "C", &C));
  READ(need(c, "x", x, mul(R, C)) && need(c, "v", v, C));
  g_table->add_row_vector(x.p, v.p, R, C);
  return undefined(env);
}

// sumRows(x, R, C, beta, out)
napi_value SumRows(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "sumRows", c));
  F32 x, out;
  i64 R, C;
  double beta;
  READ(get_f32(c, 0, "x", false, &x) && get_size(c, 1, "R", &R) && get_size(c, 2, "C", &C));
  READ(get_num(c, 3, "beta", &beta) && get_f32(c, 4, "out", false, &out));
  READ(need(c, "x", x, mul(R, C)) && need(c, "out", out, C));
  if (!g_table->sum_rows(x.p, R, C, (float)beta, out.p)) oom(c);
  return undefined(env);
}

// sum(x) / sumSquares(x)
template <int Which>
napi_value Sum(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, Which == 0 ? "sum" : "sumSquares", c));
  F32 x;
  READ(get_f32(c, 0, "x", false, &x));
  return number(env, (Which == 0 ? g_table->sum : g_table->sum_squares)(x.p, x.n));
}

// ------------------------------------------------------------------ embedding

// embeddingForward(weight, ids, E, out) / embeddingBackward(dOut, ids, E, dWeight)
template <int Which>
napi_value Embedding(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, Which == 0 ? "embeddingForward" : "embeddingBackward", c));
  F32 a, rows;
  I32 ids;
  i64 E;
  const char* rows_name = Which == 0 ? "out" : "dOut";
  // Forward: (weight, ids, E, out); backward: (dOut, ids, E, dWeight). `a` is the table.
  READ(get_f32(c, Which == 0 ? 0 : 3, Which == 0 ? "weight" : "dWeight", false, &a));
  READ(get_i32(c, 1, "ids", &ids) && get_size(c, 2, "E", &E));
  READ(get_f32(c, Which == 0 ? 3 : 0, rows_name, false, &rows));
  READ(need(c, rows_name, rows, mul(ids.n, E)));
  if (E == 0) return undefined(env);
  i64 V = a.n / E;
  for (i64 n = 0; n < ids.n; n++) {
    int32_t id = ids.p[n];
    if (id < 0 || id >= V) {
      throw_rnnlm(c, "invalid_argument",
                  std::string(c.kernel) + ": token id " + num(id) + " at position " + num((double)n) +
                      " is outside the vocabulary [0, " + num((double)V) + "); check the tokenizer and vocabulary size");
      return nullptr;
    }
  }
  if (Which == 0) g_table->embedding_forward(a.p, ids.p, ids.n, E, rows.p);
  else g_table->embedding_backward(rows.p, ids.p, ids.n, E, a.p);
  return undefined(env);
}

// ------------------------------------------------------------------ softmax + cross-entropy

// Sizes, lengths and every target either the ignore index or a class in [0, V). *ignore is set
// to a value no valid target equals when ignoreIndex is not an int32.
bool check_xent(Call& c, const F32& logits, const I32& targets, i64 N, i64 V, double ignore_d, int32_t* ignore) {
  REQ(need(c, "logits", logits, mul(N, V)));
  if (targets.n < N) {
    throw_rnnlm(c, "shape_mismatch",
                std::string(c.kernel) + ": targets has " + num((double)targets.n) + " elements but needs " + num((double)N) +
                    "; allocate it with the sizes passed to the kernel");
    return false;
  }
  bool has_ignore = ignore_d == std::floor(ignore_d) && ignore_d >= -2147483648.0 && ignore_d <= 2147483647.0;
  *ignore = has_ignore ? (int32_t)ignore_d : -1;
  for (i64 n = 0; n < N; n++) {
    int32_t t = targets.p[n];
    if (has_ignore && t == *ignore) continue;
    if (t < 0 || t >= V) {
      throw_rnnlm(c, "invalid_argument",
                  std::string(c.kernel) + ": target " + num(t) + " at row " + num((double)n) + " is outside [0, " +
                      num((double)V) + ") and is not the ignore index " + num(ignore_d));
      return false;
    }
  }
  // Without a matching ignore index every target is in [0, V), so −1 never matches.
  return true;
}

// softmaxXentForward(logits, targets, N, V, ignoreIndex, lse, losses)
napi_value XentForward(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "softmaxXentForward", c));
  F32 logits, lse, losses;
  I32 targets;
  i64 N, V;
  double ig;
  int32_t ignore;
  READ(get_f32(c, 0, "logits", false, &logits) && get_i32(c, 1, "targets", &targets));
  READ(get_size(c, 2, "N", &N) && get_size(c, 3, "V", &V) && get_num(c, 4, "ignoreIndex", &ig));
  READ(get_f32(c, 5, "lse", false, &lse) && get_f32(c, 6, "losses", false, &losses));
  READ(check_xent(c, logits, targets, N, V, ig, &ignore));
  READ(need(c, "lse", lse, N) && need(c, "losses", losses, N));
  g_table->xent_forward(logits.p, targets.p, N, V, ignore, lse.p, losses.p);
  return undefined(env);
}

// softmaxXentBackward(logits, lse, targets, N, V, ignoreIndex, scale, dLogits)
napi_value XentBackward(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "softmaxXentBackward", c));
  F32 logits, lse, scales, d;
  I32 targets;
  i64 N, V;
  double ig, scale = 0;
  int32_t ignore;
  READ(get_f32(c, 0, "logits", false, &logits) && get_f32(c, 1, "lse", false, &lse) && get_i32(c, 2, "targets", &targets));
  READ(get_size(c, 3, "N", &N) && get_size(c, 4, "V", &V) && get_num(c, 5, "ignoreIndex", &ig));
  napi_valuetype st;
  napi_typeof(env, c.argv[6], &st);
  if (st == napi_number) {
    READ(get_num(c, 6, "scale", &scale));
  } else {
    READ(get_f32(c, 6, "scale", false, &scales));
  }
  READ(get_f32(c, 7, "dLogits", false, &d));
  READ(check_xent(c, logits, targets, N, V, ig, &ignore));
  READ(need(c, "lse", lse, N) && need(c, "dLogits", d, mul(N, V)));
  if (!scales.null) READ(need(c, "scale", scales, N));
  g_table->xent_backward(logits.p, lse.p, targets.p, N, V, ignore, (float)scale, scales.null ? nullptr : scales.p, d.p);
  return undefined(env);
}

// logSoftmax(logits, N, V, out)
napi_value LogSoftmax(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "logSoftmax", c));
  F32 logits, out;
  i64 N, V;
  READ(get_f32(c, 0, "logits", false, &logits) && get_size(c, 1, "N", &N) && get_size(c, 2, "V", &V));
  READ(get_f32(c, 3, "out", false, &out));
  READ(need(c, "logits", logits, mul(N, V)) && need(c, "out", out, mul(N, V)));
  g_table->log_softmax(logits.p, N, V, out.p);
  return undefined(env);
}

// ------------------------------------------------------------------ recurrent

const char* kModes[] = {"lstm", "gru", "rnn_tanh", "rnn_relu", "rnn_sigmoid"};

// Reads (mode, T, B, I, H) from argv[0..4].
bool get_desc(Call& c, rnnlm::RecDesc* d) {
  std::string s;
  bool found = false;
  if (get_string(c, 0, &s))
    for (int k = 0; k < 5; k++)
      if (s == kModes[k]) {
        d->mode = k;
        found = true;
      }
  if (!found) {
    throw_rnnlm(c, "invalid_argument",
                std::string(c.kernel) + ": unknown mode \"" + s + "\"; use one of lstm, gru, rnn_tanh, rnn_relu, rnn_sigmoid");
    return false;
  }
  d->bf16 = false;
  return get_size(c, 1, "T", &d->T) && get_size(c, 2, "B", &d->B) && get_size(c, 3, "inputSize", &d->I) &&
         get_size(c, 4, "hiddenSize", &d->H);
}

// Reads four arrays (weightIh, weightHh, biasIh, biasHh) from argv[i..i+3] and checks their lengths.
bool get_weights(Call& c, int i, const char* what, const rnnlm::RecDesc& d, rnnlm::RecWeights* w) {
  F32 wih, whh, bih, bhh;
  std::string p(what);
  std::string n0 = p + ".weightIh", n1 = p + ".weightHh", n2 = p + ".biasIh", n3 = p + ".biasHh";
  REQ(get_f32(c, i, n0.c_str(), false, &wih) && get_f32(c, i + 1, n1.c_str(), false, &whh));
  REQ(get_f32(c, i + 2, n2.c_str(), true, &bih) && get_f32(c, i + 3, n3.c_str(), true, &bhh));
  i64 GH = mul(rnnlm::gates_of(d.mode), d.H);
  REQ(need(c, n0.c_str(), wih, mul(GH, d.I)) && need(c, n1.c_str(), whh, mul(GH, d.H)));
  if (bih.null != bhh.null) {
    throw_rnnlm(c, "invalid_argument",
                std::string(c.kernel) + ": " + n2 + " and " + n3 + " must both be arrays or both null");
    return false;
  }
  if (!bih.null) REQ(need(c, n2.c_str(), bih, GH) && need(c, n3.c_str(), bhh, GH));
  *w = rnnlm::RecWeights{wih.p, whh.p, bih.null ? nullptr : bih.p, bhh.null ? nullptr : bhh.p};
  return true;
}

// recurrentWorkspaceSize(mode, T, B, I, H)
napi_value RecWorkspaceSize(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "recurrentWorkspaceSize", c));
  rnnlm::RecDesc d;
  READ(get_desc(c, &d));
  i64 per = d.mode == rnnlm::MODE_LSTM ? 5 : d.mode == rnnlm::MODE_GRU ? 4 : 0;
  return number(env, (double)mul(mul(d.T, d.B), mul(per, d.H)));
}

// recurrentForward(mode, T, B, I, H, wIh, wHh, bIh, bHh, x, h0, c0, y, hT, cT, workspace, precision?)
napi_value RecForward(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "recurrentForward", c));
  rnnlm::RecDesc d;
  rnnlm::RecWeights w;
  F32 x, h0, c0, y, hT, cT, ws;
  READ(get_desc(c, &d) && get_weights(c, 5, "w", d, &w));
  READ(get_f32(c, 9, "x", false, &x) && get_f32(c, 10, "h0", false, &h0) && get_f32(c, 11, "c0", true, &c0));
  READ(get_f32(c, 12, "y", false, &y) && get_f32(c, 13, "hT", false, &hT) && get_f32(c, 14, "cT", true, &cT));
  READ(get_f32(c, 15, "workspace", true, &ws) && get_precision(c, 16, &d.bf16));
  i64 TB = mul(d.T, d.B), BH = mul(d.B, d.H);
  READ(need(c, "x", x, mul(TB, d.I)) && need(c, "h0", h0, BH) && need(c, "y", y, mul(TB, d.H)) && need(c, "hT", hT, BH));
  bool lstm = d.mode == rnnlm::MODE_LSTM;
  if (lstm) {
    if (c0.null || cT.null) {
      throw_rnnlm(c, "invalid_argument", "recurrentForward: an LSTM needs c0 and cT arrays of [B, H]; pass them (not null)");
      return nullptr;
    }
    READ(need(c, "c0", c0, BH) && need(c, "cT", cT, BH));
  }
  if (!ws.null) READ(need(c, "workspace", ws, g_table->rec_workspace_size(d)));
  if (!g_table->rec_forward(d, w, x.p, h0.p, lstm ? c0.p : nullptr, y.p, hT.p, lstm ? cT.p : nullptr,
                            ws.null ? nullptr : ws.p))
    oom(c);
  return undefined(env);
}

// recurrentBackward(mode, T, B, I, H, wIh, wHh, bIh, bHh, x, h0, c0, y, workspace, dy, dhT, dcT,
//                   dx, dh0, dc0, gIh, gHh, gbIh, gbHh, precision?)
napi_value RecBackward(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "recurrentBackward", c));
  rnnlm::RecDesc d;
  rnnlm::RecWeights w, g;
  F32 x, h0, c0, y, ws, dy, dhT, dcT, dx, dh0, dc0;
  READ(get_desc(c, &d) && get_weights(c, 5, "w", d, &w) && get_weights(c, 20, "grads", d, &g));
  READ(get_f32(c, 9, "x", false, &x) && get_f32(c, 10, "h0", false, &h0) && get_f32(c, 11, "c0", true, &c0));
  READ(get_f32(c, 12, "y", false, &y) && get_f32(c, 13, "workspace", false, &ws) && get_f32(c, 14, "dy", false, &dy));
  READ(get_f32(c, 15, "dhT", true, &dhT) && get_f32(c, 16, "dcT", true, &dcT) && get_f32(c, 17, "dx", true, &dx));
  READ(get_f32(c, 18, "dh0", true, &dh0) && get_f32(c, 19, "dc0", true, &dc0) && get_precision(c, 24, &d.bf16));
  i64 TB = mul(d.T, d.B), BH = mul(d.B, d.H);
  READ(need(c, "x", x, mul(TB, d.I)) && need(c, "h0", h0, BH) && need(c, "y", y, mul(TB, d.H)) &&
       need(c, "dy", dy, mul(TB, d.H)) && need(c, "workspace", ws, g_table->rec_workspace_size(d)));
  if (!dhT.null) READ(need(c, "dhT", dhT, BH));
  if (!dx.null) READ(need(c, "dx", dx, mul(TB, d.I)));
  if (!dh0.null) READ(need(c, "dh0", dh0, BH));
  bool lstm = d.mode == rnnlm::MODE_LSTM;
  if (lstm) {
    if (c0.null) {
      throw_rnnlm(c, "invalid_argument", "recurrentBackward: an LSTM needs the forward's c0 [B, H]; pass it (not null)");
      return nullptr;
    }
    READ(need(c, "c0", c0, BH));
    if (!dcT.null) READ(need(c, "dcT", dcT, BH));
    if (!dc0.null) READ(need(c, "dc0", dc0, BH));
  }
  if (!g_table->rec_backward(d, w, x.p, h0.p, lstm ? c0.p : nullptr, y.p, ws.p, dy.p, dhT.null ? nullptr : dhT.p,
                             lstm && !dcT.null ? dcT.p : nullptr, dx.null ? nullptr : dx.p, dh0.null ? nullptr : dh0.p,
                             lstm && !dc0.null ? dc0.p : nullptr, g))
    oom(c);
  return undefined(env);
}

// lmStep(mode, B, E, V, hiddenSizes, weights, embedding, ids, h, c, decoderWeight, decoderBias, logits, precision?)
// hiddenSizes: an array of L numbers; weights: an array of 4·L entries (per layer weightIh,
// weightHh, biasIh, biasHh; biases may be null).
napi_value LmStep(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "lmStep", c));
  rnnlm::RecDesc rd;  // mode only (T, B, I, H are read per layer below)
  {
    std::string s;
    bool found = false;
    if (get_string(c, 0, &s))
      for (int k = 0; k < 5; k++)
        if (s == kModes[k]) {
          rd.mode = k;
          found = true;
        }
    if (!found) {
      throw_rnnlm(c, "invalid_argument",
                  std::string(c.kernel) + ": unknown mode \"" + s + "\"; use one of lstm, gru, rnn_tanh, rnn_relu, rnn_sigmoid");
      return nullptr;
    }
  }
  i64 B, E, V;
  READ(get_size(c, 1, "B", &B) && get_size(c, 2, "E", &E) && get_size(c, 3, "V", &V));
  if (B < 1 || B > 16) {
    throw_rnnlm(c, "invalid_argument", "lmStep: B = " + num((double)B) + " rows; it takes 1 to 16");
    return nullptr;
  }
  bool is_arr = false;
  uint32_t L = 0, nw = 0;
  napi_is_array(env, c.argv[4], &is_arr);
  if (is_arr) napi_get_array_length(env, c.argv[4], &L);
  if (!is_arr || L == 0 || L > 64) {
    throw_rnnlm(c, "invalid_argument", "lmStep: hiddenSizes must be an array of 1 to 64 layer sizes");
    return nullptr;
  }
  napi_is_array(env, c.argv[5], &is_arr);
  if (is_arr) napi_get_array_length(env, c.argv[5], &nw);
  if (!is_arr || nw != 4 * L) {
    throw_rnnlm(c, "invalid_argument", "lmStep: layers must give 4 arrays per layer (weightIh, weightHh, biasIh, biasHh) for " + num(L) + " layers");
    return nullptr;
  }
  i64 H[64];
  rnnlm::RecWeights w[64];
  i64 I = E, total = 0;
  for (uint32_t l = 0; l < L; l++) {
    napi_value hv;
    double hd = -1;
    napi_get_element(env, c.argv[4], l, &hv);
    if (napi_get_value_double(env, hv, &hd) != napi_ok || !(hd >= 0) || hd != std::floor(hd) || hd > 281474976710656.0) {
      throw_rnnlm(c, "invalid_argument", "lmStep: hiddenSizes[" + num(l) + "] must be a non-negative integer");
      return nullptr;
    }
    H[l] = (i64)hd;
    F32 a[4];
    const char* names[4] = {"weightIh", "weightHh", "biasIh", "biasHh"};
    for (int k = 0; k < 4; k++) {
      napi_value v;
      napi_get_element(env, c.argv[5], 4 * l + k, &v);
      std::string nm = "layers[" + num(l) + "]." + names[k];
      READ(get_f32_value(c, v, nm.c_str(), k >= 2, &a[k]));
    }
    i64 GH = mul(rnnlm::gates_of(rd.mode), H[l]);
    READ(need(c, "layers[].weightIh", a[0], mul(GH, I)) && need(c, "layers[].weightHh", a[1], mul(GH, H[l])));
    if (a[2].null != a[3].null) {
      throw_rnnlm(c, "invalid_argument", "lmStep: a layer's biasIh and biasHh must both be arrays or both null");
      return nullptr;
    }
    if (!a[2].null) READ(need(c, "layers[].biasIh", a[2], GH) && need(c, "layers[].biasHh", a[3], GH));
    w[l] = rnnlm::RecWeights{a[0].p, a[1].p, a[2].null ? nullptr : a[2].p, a[3].null ? nullptr : a[3].p};
    total += mul(B, H[l]);
    I = H[l];
  }
  F32 emb, h, cc, dw, db, logits;
  I32 ids;
  READ(get_f32(c, 6, "embedding", false, &emb) && get_i32(c, 7, "ids", &ids) && get_f32(c, 8, "h", false, &h));
  READ(get_f32(c, 9, "c", true, &cc) && get_f32(c, 10, "decoderWeight", false, &dw) && get_f32(c, 11, "decoderBias", true, &db));
  READ(get_f32(c, 12, "logits", false, &logits));
  bool lstm = rd.mode == rnnlm::MODE_LSTM;
  if (lstm == cc.null) {
    throw_rnnlm(c, "invalid_argument", "lmStep: c must be given for an LSTM and null otherwise");
    return nullptr;
  }
  if (ids.n < B) {
    throw_rnnlm(c, "shape_mismatch", "lmStep: ids has " + num((double)ids.n) + " elements but needs " + num((double)B));
    return nullptr;
  }
  READ(need(c, "h", h, total) && need(c, "decoderWeight", dw, mul(V, I)) && need(c, "logits", logits, mul(B, V)));
  if (lstm) READ(need(c, "c", cc, total));
  if (!db.null) READ(need(c, "decoderBias", db, V));
  i64 rows = E == 0 ? 0 : emb.n / E;
  for (i64 n = 0; n < B && E > 0; n++) {
    int32_t id = ids.p[n];
    if (id < 0 || id >= rows) {
      throw_rnnlm(c, "invalid_argument",
                  "lmStep: token id " + num(id) + " at position " + num((double)n) + " is outside the vocabulary [0, " +
                      num((double)rows) + "); check the tokenizer and vocabulary size");
      return nullptr;
    }
  }
  bool bf16;
  READ(get_precision(c, 13, &bf16));
  rnnlm::LmStepDesc d{rd.mode, B, E, V, (i64)L, H, bf16};
  if (!g_table->lm_step(d, emb.p, ids.p, w, h.p, lstm ? cc.p : nullptr, dw.p, db.null ? nullptr : db.p, logits.p)) oom(c);
  return undefined(env);
}

// ------------------------------------------------------------------ optimizers

// sgdStep(param, grad, momentumBuf, lr, momentum, dampening, weightDecay, nesterov, firstStep)
napi_value SgdStep(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "sgdStep", c));
  F32 p, g, buf;
  double lr, mu, damp, wd;
  bool nesterov, first;
  READ(get_f32(c, 0, "param", false, &p) && get_f32(c, 1, "grad", false, &g) && get_f32(c, 2, "momentumBuf", true, &buf));
  READ(get_num(c, 3, "lr", &lr) && get_num(c, 4, "momentum", &mu) && get_num(c, 5, "dampening", &damp));
  READ(get_num(c, 6, "weightDecay", &wd) && get_bool(c, 7, "nesterov", &nesterov) && get_bool(c, 8, "firstStep", &first));
  READ(exact(c, "grad", g, p.n));
  if (mu != 0 && buf.null) {
    throw_rnnlm(c, "invalid_argument",
                "sgdStep: momentum is non-zero but no momentum buffer was given; allocate one per parameter");
    return nullptr;
  }
  if (nesterov && (mu <= 0 || damp != 0)) {
    throw_rnnlm(c, "invalid_argument", "sgdStep: Nesterov momentum needs momentum > 0 and dampening = 0 (as in PyTorch)");
    return nullptr;
  }
  if (!buf.null) READ(exact(c, "momentumBuf", buf, p.n));
  rnnlm::SgdParams o{(float)lr, (float)mu, (float)damp, (float)wd, nesterov, first};
  g_table->sgd_step(p.p, g.p, buf.null ? nullptr : buf.p, p.n, o);
  return undefined(env);
}

// adamStep(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step)
napi_value AdamStep(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "adamStep", c));
  F32 p, g, m, v;
  double lr, b1, b2, eps, wd, step;
  bool decoupled;
  READ(get_f32(c, 0, "param", false, &p) && get_f32(c, 1, "grad", false, &g) && get_f32(c, 2, "m", false, &m) &&
       get_f32(c, 3, "v", false, &v));
  READ(get_num(c, 4, "lr", &lr) && get_num(c, 5, "beta1", &b1) && get_num(c, 6, "beta2", &b2) && get_num(c, 7, "eps", &eps));
  READ(get_num(c, 8, "weightDecay", &wd) && get_bool(c, 9, "decoupled", &decoupled) && get_num(c, 10, "step", &step));
  READ(exact(c, "grad", g, p.n) && exact(c, "m", m, p.n) && exact(c, "v", v, p.n));
  if (!(step >= 1) || step != std::floor(step)) {
    throw_rnnlm(c, "invalid_argument", "adamStep: step must be the 1-based update count, got " + num(step));
    return nullptr;
  }
  rnnlm::AdamParams o;
  o.lr = (float)lr;
  o.beta1 = (float)b1;
  o.beta2 = (float)b2;
  o.eps = (float)eps;
  o.weight_decay = (float)wd;
  o.step_size = (float)(lr / (1 - std::pow(b1, step)));
  o.sqrt_bc2 = (float)std::sqrt(1 - std::pow(b2, step));
  o.decay = decoupled ? (float)(1 - lr * wd) : 1.0f;
  o.decoupled = decoupled;
  g_table->adam_step(p.p, g.p, m.p, v.p, p.n, o);
  return undefined(env);
}

// ------------------------------------------------------------------ configuration and probes

// init(RnnlmError): errors are thrown as this class from now on.
napi_value Init(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "init", c));
  napi_valuetype t;
  napi_typeof(env, c.argv[0], &t);
  if (t == napi_function && c.inst) {
    if (c.inst->error_ctor) napi_delete_reference(env, c.inst->error_ctor);
    napi_create_reference(env, c.argv[0], 1, &c.inst->error_ctor);
  }
  return undefined(env);
}

void set_prop(napi_env env, napi_value obj, const char* key, napi_value v) { napi_set_named_property(env, obj, key, v); }
napi_value str(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

// info() → { isa, isas, threads, gemmMr, gemmNr, bf16 } (bf16: "vdpbf16ps" or "emulated")
napi_value Info(napi_env env, napi_callback_info) {
  napi_value o, list;
  napi_create_object(env, &o);
  set_prop(env, o, "isa", str(env, g_table->isa));
  napi_create_array(env, &list);
  uint32_t k = 0;
  for (const IsaEntry& e : kIsas)
    if (e.supported()) napi_set_element(env, list, k++, str(env, e.name));
  set_prop(env, o, "isas", list);
  set_prop(env, o, "threads", number(env, rnnlm::pool_threads()));
  set_prop(env, o, "gemmMr", number(env, g_table->gemm_mr));
  set_prop(env, o, "gemmNr", number(env, g_table->gemm_nr));
  set_prop(env, o, "bf16", str(env, kBf16Modes[g_table->set_bf16_mode(-1)]));
  return o;
}

// setIsa(name) → true if this CPU supports it (and it is now used).
napi_value SetIsa(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "setIsa", c));
  std::string s;
  get_string(c, 0, &s);
  const KernelTable* t = pick_isa(s.c_str());
  if (t) g_table = t;
  napi_value r;
  napi_get_boolean(env, t != nullptr, &r);
  return r;
}

// setBf16Mode(name) → the mode bf16 gemms now use: `name`, or the best below it that this CPU has
// ("emulated" < "vdpbf16ps" < "amx"; lower modes are for tests and comparisons).
napi_value SetBf16Mode(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "setBf16Mode", c));
  std::string s;
  get_string(c, 0, &s);
  return str(env, kBf16Modes[g_table->set_bf16_mode(bf16_mode_index(s.c_str()))]);
}

// pinBf16(weights) → true if bf16 dot-path gemms now read a bf16 copy of these weights (converted
// once); unpinBf16(weights) frees it. The caller keeps the array alive and unchanged meanwhile.
napi_value PinBf16(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "pinBf16", c));
  F32 w;
  READ(get_f32(c, 0, "weights", false, &w));
  napi_value r;
  napi_get_boolean(env, g_table->pin_bf16(w.p, w.n) != 0, &r);
  return r;
}

napi_value UnpinBf16(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "unpinBf16", c));
  F32 w;
  READ(get_f32(c, 0, "weights", false, &w));
  g_table->unpin_bf16(w.p);
  return nullptr;
}

// pinF32(weights) → whether pinned; unpinF32(weights).
napi_value PinF32(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "pinF32", c));
  F32 w;
  READ(get_f32(c, 0, "weights", false, &w));
  napi_value r;
  napi_get_boolean(env, g_table->pin_f32(w.p, w.n) != 0, &r);
  return r;
}

napi_value UnpinF32(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "unpinF32", c));
  F32 w;
  READ(get_f32(c, 0, "weights", false, &w));
  g_table->unpin_f32(w.p);
  return nullptr;
}

// setThreads(n) → the thread count in effect.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "setThreads", c));
  i64 n;
  READ(get_size(c, 0, "n", &n));
  return number(env, rnnlm::pool_set_threads((int)(n > 64 ? 64 : n)));
}

// poolAccounting(on): per-thread CPU time in kernels is summed while on (benchmarks).
napi_value PoolAccounting(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "poolAccounting", c));
  bool on;
  READ(get_bool(c, 0, "on", &on));
  rnnlm::pool_accounting(on);
  return undefined(env);
}

// takePoolBusy() → seconds of CPU time each thread id spent in kernels since the last call.
napi_value TakePoolBusy(napi_env env, napi_callback_info) {
  int64_t ns[64];
  int n = rnnlm::pool_take_busy_ns(ns, rnnlm::pool_threads());
  napi_value arr;
  napi_create_array_with_length(env, n, &arr);
  for (int i = 0; i < n; i++) napi_set_element(env, arr, i, number(env, ns[i] * 1e-9));
  return arr;
}

// fmaPeak(ms) → single-thread FMA GFLOP/s of the current ISA.
napi_value FmaPeak(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "fmaPeak", c));
  double ms;
  READ(get_num(c, 0, "ms", &ms));
  return number(env, g_table->fma_peak_gflops(ms));
}

// cpuGhz(ms) → clock estimate from a chain of dependent integer adds (one per cycle).
napi_value CpuGhz(napi_env env, napi_callback_info info) {
  Call c;
  READ(get_call(env, info, "cpuGhz", c));
  double ms;
  READ(get_num(c, 0, "ms", &ms));
  auto now = [](clockid_t clock) {
    timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
  };
  // Timed on this thread's CPU clock (time descheduled does not count); median of ~10 ms intervals.
  double rates[64];
  int n = 0;
  double start = now(CLOCK_MONOTONIC);
  uint64_t x = 0;
  do {
    const long iters = 1 << 23;
    double t0 = now(CLOCK_THREAD_CPUTIME_ID);
    for (long i = 0; i < iters; i++) {
      x += 1;
      __asm__ volatile("" : "+r"(x));
      x += 1;
      __asm__ volatile("" : "+r"(x));
      x += 1;
      __asm__ volatile("" : "+r"(x));
      x += 1;
      __asm__ volatile("" : "+r"(x));
    }
    rates[n++] = 4.0 * iters / ((now(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e6);
  } while (n < 64 && (n < 3 || now(CLOCK_MONOTONIC) - start < ms));
  std::sort(rates, rates + n);
  double best = rates[n / 2];
  return number(env, best);
}

void finalize_instance(napi_env env, void* data, void*) {
  Instance* inst = static_cast<Instance*>(data);
  if (inst->error_ctor) napi_delete_reference(env, inst->error_ctor);
  delete inst;
}

}  // namespace

NAPI_MODULE_INIT() {
  if (!g_table) {
    const char* want = std::getenv("RNNLM_NATIVE_ISA");
    g_table = (want && *want) ? pick_isa(want) : nullptr;
    if (!g_table) g_table = pick_isa(nullptr);
    // RNNLM_NATIVE_BF16=emulated|vdpbf16ps: bf16 gemms on a lower path than the best the CPU has.
    const char* bf = std::getenv("RNNLM_NATIVE_BF16");
    if (bf && *bf) g_table->set_bf16_mode(bf16_mode_index(bf));
  }
  napi_set_instance_data(env, new Instance(), finalize_instance, nullptr);
  struct Fn {
    const char* name;
    napi_callback cb;
  } fns[] = {
      {"init", Init},
      {"info", Info},
      {"setIsa", SetIsa},
      {"setThreads", SetThreads},
      {"setBf16Mode", SetBf16Mode},
      {"pinBf16", PinBf16},
      {"unpinBf16", UnpinBf16},
      {"pinF32", PinF32},
      {"unpinF32", UnpinF32},
      {"fmaPeak", FmaPeak},
      {"poolAccounting", PoolAccounting},
      {"takePoolBusy", TakePoolBusy},
      {"cpuGhz", CpuGhz},
      {"gemm", Gemm},
      {"add", Binary<0>},
      {"mul", Binary<1>},
      {"axpy", Axpy},
      {"scale", Scale},
      {"unary", Unary},
      {"unaryBackward", UnaryBackward},
      {"addRowVector", AddRowVector},
      {"sumRows", SumRows},
      {"sum", Sum<0>},
      {"sumSquares", Sum<1>},
      {"embeddingForward", Embedding<0>},
      {"embeddingBackward", Embedding<1>},
      {"softmaxXentForward", XentForward},
      {"softmaxXentBackward", XentBackward},
      {"logSoftmax", LogSoftmax},
      {"recurrentWorkspaceSize", RecWorkspaceSize},
      {"recurrentForward", RecForward},
      {"recurrentBackward", RecBackward},
      {"lmStep", LmStep},
      {"sgdStep", SgdStep},
      {"adamStep", AdamStep},
  };
  for (const Fn& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  return exports;
}
