// A seccomp profile given as OCI `linux.seccomp` (what `--security-opt seccomp=FILE` becomes),
// compiled to a BPF program the way runc does it: unknown syscall names are skipped, rules
// whose action is the default one add nothing, argument conditions on distinct arguments are
// ANDed in one rule and conditions repeating an argument become one rule each (ORed).
#include "cinit.h"
#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cursor { const char *p, *end; char *err; size_t errlen; };

static int fail(struct cursor *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static const char *next(struct cursor *c) {
    if (c->p >= c->end) return NULL;
    const char *t = c->p;
    size_t n = strnlen(t, (size_t)(c->end - t));
    c->p = t + n + 1;
    return t;
}

static int action_of(const char *name, long errno_ret, uint32_t *out) {
    if (!strcmp(name, "SCMP_ACT_ALLOW")) *out = SCMP_ACT_ALLOW;
    else if (!strcmp(name, "SCMP_ACT_ERRNO")) *out = SCMP_ACT_ERRNO(errno_ret >= 0 ? (uint16_t)errno_ret : EPERM);
    else if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD")) *out = SCMP_ACT_KILL_THREAD;
    else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS")) *out = SCMP_ACT_KILL_PROCESS;
    else if (!strcmp(name, "SCMP_ACT_TRAP")) *out = SCMP_ACT_TRAP;
    else if (!strcmp(name, "SCMP_ACT_LOG")) *out = SCMP_ACT_LOG;
    else if (!strcmp(name, "SCMP_ACT_TRACE")) *out = SCMP_ACT_TRACE(errno_ret >= 0 ? (uint16_t)errno_ret : EPERM);
    else return -1;
    return 0;
}

static int op_of(const char *name, enum scmp_compare *out) {
    static const struct { const char *name; enum scmp_compare op; } ops[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) if (!strcmp(name, ops[i].name)) { *out = ops[i].op; return 0; }
    return -1;
}

static int compile(struct cursor *c, scmp_filter_ctx *out) {
    const char *t = next(c);
    if (!t || strcmp(t, "default")) return fail(c, "the profile has no default action");
    const char *dname = next(c), *derr = next(c);
    if (!dname || !derr) return fail(c, "truncated profile");
    uint32_t def;
    if (action_of(dname, strtol(derr, NULL, 10), &def) < 0) return fail(c, "unknown default action %s", dname);
    scmp_filter_ctx ctx = seccomp_init(def);
    if (!ctx) return fail(c, "seccomp_init failed");
    *out = ctx;
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    while ((t = next(c))) {
        if (!strcmp(t, "arch")) {
            const char *a = next(c);
            if (!a) return fail(c, "truncated profile");
            // "SCMP_ARCH_X86_64" -> "x86_64", as libseccomp names them.
            char lower[64];
            const char *base = strncmp(a, "SCMP_ARCH_", 10) == 0 ? a + 10 : a;
            size_t i = 0;
            for (; base[i] && i < sizeof lower - 1; i++) lower[i] = (char)(base[i] >= 'A' && base[i] <= 'Z' ? base[i] + 32 : base[i]);
            lower[i] = 0;
            uint32_t arch = seccomp_arch_resolve_name(lower);
            if (!arch) return fail(c, "unknown architecture %s", a);
            int r = seccomp_arch_add(ctx, arch);
            if (r < 0 && r != -EEXIST) return fail(c, "add architecture %s: %s", a, strerror(-r));
            continue;
        }
        if (strcmp(t, "rule")) return fail(c, "unexpected token %s", t);
        const char *aname = next(c), *aerr = next(c), *nargs_t = next(c);
        if (!aname || !aerr || !nargs_t) return fail(c, "truncated profile");
        uint32_t action;
        if (action_of(aname, strtol(aerr, NULL, 10), &action) < 0) return fail(c, "unknown action %s", aname);
        int nargs = atoi(nargs_t);
        if (nargs < 0 || nargs > 6) return fail(c, "a rule has %d argument conditions (at most 6)", nargs);
        struct scmp_arg_cmp args[6];
        int repeats = 0;
        for (int i = 0; i < nargs; i++) {
            const char *idx = next(c), *v = next(c), *v2 = next(c), *op = next(c);
            if (!idx || !v || !v2 || !op) return fail(c, "truncated profile");
            enum scmp_compare cmp;
            if (op_of(op, &cmp) < 0) return fail(c, "unknown operator %s", op);
            unsigned idx_n = (unsigned)strtoul(idx, NULL, 10);
            if (idx_n > 5) return fail(c, "argument index %u out of range (0-5)", idx_n);
            args[i] = (struct scmp_arg_cmp){ idx_n, cmp, strtoull(v, NULL, 10), strtoull(v2, NULL, 10) };
            for (int j = 0; j < i; j++) if (args[j].arg == idx_n) repeats = 1;
        }
        const char *nnames_t = next(c);
        if (!nnames_t) return fail(c, "truncated profile");
        int nnames = atoi(nnames_t);
        for (int k = 0; k < nnames; k++) {
            const char *name = next(c);
            if (!name) return fail(c, "truncated profile");
            if (action == def) continue;
            int nr = seccomp_syscall_resolve_name(name);
            if (nr == __NR_SCMP_ERROR) continue;  // not a syscall of this kernel/arch: skipped, as runc does
            int r = 0;
            if (!repeats) {
                r = seccomp_rule_add_array(ctx, action, nr, (unsigned)nargs, nargs ? args : NULL);
            } else {
                for (int i = 0; i < nargs && r >= 0; i++) r = seccomp_rule_add_array(ctx, action, nr, 1, &args[i]);
            }
            if (r < 0 && r != -EEXIST) return fail(c, "rule for %s: %s", name, strerror(-r));
        }
    }
    return 0;
}

int cinit_seccomp_export_spec(const char *spec, size_t len, int fd, char *err, size_t errlen) {
    struct cursor c = { spec, spec + len, err, errlen };
    if (errlen) err[0] = 0;
    scmp_filter_ctx ctx = NULL;
    int r = compile(&c, &ctx);
    if (r == 0) {
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0) snprintf(err, errlen, "export the program: %s", strerror(-r));
    }
    if (ctx) seccomp_release(ctx);
    return r;
}
