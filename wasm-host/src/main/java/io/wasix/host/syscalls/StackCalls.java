package io.wasix.host.syscalls;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static com.dylibso.chicory.wasm.types.ValType.I64;
import static io.wasix.host.syscalls.HostFunctions.i32s;

import io.wasix.host.abi.WasiException;
import io.wasix.host.thread.Checkpoints;
import io.wasix.host.thread.GuestThreads;
import io.wasix.host.thread.SetjmpTrap;
import java.util.List;

/**
 * stack_checkpoint and stack_restore, wasix-libc's setjmp and longjmp, through the module's asyncify exports
 * as wasmer serves them (see {@link io.wasix.host.thread.EntryCall}). The jmp_buf is the 24-byte snapshot:
 * the result's address (u64 at 0) and the checkpoint's id (16 bytes at 8).
 *
 * <p>stack_checkpoint answers EFAULT for a pointer outside memory (wasix-libc then traps); stack_restore
 * must not return, so a bad pointer there, or a jmp_buf naming no checkpoint, traps with a line that says so.
 *
 * <p>Threading: any guest thread, holding the shard lock (direct mode: the one guest thread); what they
 * change is the calling thread's own stack.
 */
final class StackCalls {
    private final GuestThreads threads;

    StackCalls(GuestState state) {
        this.threads = state.threads;
    }

    void register(HostFunctions r) {
        r.wasixOf("stack_checkpoint", i32s(2), (m, i, a) -> {
            int snapshot = (int) a[0], result = (int) a[1];
            m.check(snapshot, Checkpoints.SNAPSHOT_BYTES);
            m.check(result, 8);
            Checkpoints.checkpoint(threads.current(), i, snapshot, result);
            return 0;
        });
        r.wasixVoidOf("stack_restore", List.of(I32, I64), (m, i, a) -> {
            int snapshot = (int) a[0];
            try {
                m.check(snapshot, Checkpoints.SNAPSHOT_BYTES);
            } catch (WasiException e) {
                throw new SetjmpTrap("stack_restore (longjmp): the jmp_buf at " + Integer.toUnsignedString(snapshot)
                        + " lies outside the guest's memory");
            }
            throw Checkpoints.restore(threads.current(), i.memory(), snapshot, a[1]);
        });
    }
}
