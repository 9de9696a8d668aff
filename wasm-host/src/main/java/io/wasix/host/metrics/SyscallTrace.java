package io.wasix.host.metrics;

import java.io.PrintStream;

/**
 * Prints one line per call of one syscall, in the spirit of wasmer's trace log:
 * {@code [shard 0] sock_send(fd=4, 1040, 1, 0, 1060) = SUCCESS 3.2us}, and in a threaded guest
 * {@code [shard 0 thread 2] ...}. Arguments are the raw wasm values (pointers are guest addresses); the first
 * is named fd where it is one. One guest thread at a time (the shard lock); the stream is shared by the
 * shards, and PrintStream keeps each line whole.
 */
final class SyscallTrace {
    private final int shard;
    private final String prefix;
    private final String call;
    private final PrintStream out;

    SyscallTrace(int shard, String syscall, PrintStream out) {
        this.shard = shard;
        this.prefix = "[shard " + shard + "] " + syscall + "(";
        this.call = "] " + syscall + "(";
        this.out = out;
    }

    void print(long[] args, boolean firstArgIsFd, int errno, long nanos, boolean returns, int thread) {
        StringBuilder b = new StringBuilder(prefix.length() + 64);
        if (thread == 0) {
            b.append(prefix);
        } else {
            b.append("[shard ").append(shard).append(" thread ").append(thread).append(call);
        }
        for (int i = 0; i < args.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            if (i == 0 && firstArgIsFd) {
                b.append("fd=");
            }
            b.append(args[i]);
        }
        b.append(returns ? ") = " + SyscallStats.errnoName(errno) : ") ended the guest");
        b.append(' ');
        if (nanos < 10_000) {
            b.append(nanos / 1000).append('.').append(nanos / 100 % 10).append("us");
        } else if (nanos < 10_000_000) {
            b.append(nanos / 1000).append("us");
        } else {
            b.append(nanos / 1_000_000).append("ms");
        }
        out.println(b);
    }
}
