package io.wasix.host.thread;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one way the host calls into a guest thread's instance (a thread's start: {@code _start},
 * {@code wasi_thread_start}, {@code _start_thread}; a signal handler; a thread-local destructor), so that
 * setjmp/longjmp work inside any of them. wasix-libc's setjmp is stack_checkpoint and its longjmp
 * stack_restore, on top of binaryen's asyncify, as wasmer serves them:
 *
 * <ul>
 *   <li>stack_checkpoint starts an asyncify unwind ({@link Checkpoints#checkpoint}): the guest's frames save
 *       their locals and return, up to the export this call made. Here the saved frames and the globals become
 *       a checkpoint, the jmp_buf names it, and the export is called again, with the same arguments, rewinding
 *       the same frames: the guest is back in stack_checkpoint, which now answers 0.
 *   <li>stack_restore finds the checkpoint and throws {@link LongJump}, which leaves the guest's frames (and
 *       the calls of signal handlers in between, each its own entry) as Java control flow, up to the call that
 *       took the checkpoint. That call puts the globals back (the stack pointer with them), rewinds the
 *       checkpoint's frames, and its stack_checkpoint answers the longjmp's value.
 * </ul>
 *
 * A checkpoint lives as long as the call it was taken in; a longjmp to one whose call has returned (undefined
 * behaviour in C) traps.
 *
 * <p>Threading: on the guest thread that makes the call; its frames are that thread's own.
 */
public final class EntryCall {
    /** One running call into the instance: what a rewind calls again, and the checkpoints taken in it. */
    static final class Frame {
        /** Checkpoints by the address of their jmp_buf, oldest first; past this many the oldest is forgotten. */
        private static final int CHECKPOINTS = 1024;

        final Instance instance;
        final Map<Integer, Checkpoints.Checkpoint> checkpoints = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, Checkpoints.Checkpoint> eldest) {
                return size() > CHECKPOINTS;
            }
        };
        /** A checkpoint under way: the unwind is going up to this call. */
        Checkpoints.Unwind unwind;

        Frame(Instance instance) {
            this.instance = instance;
        }
    }

    private EntryCall() {}

    /**
     * Calls {@code export} of {@code instance} with {@code args} on {@code thread}, the calling thread, and
     * returns its results, rewinding it as often as the guest's setjmp and longjmp ask. Traps, exits and
     * stops pass through.
     */
    public static long[] call(GuestThread thread, Instance instance, String export, long... args) {
        ExportFunction fn = instance.export(export);
        Frame frame = new Frame(instance);
        thread.entries.push(frame);
        try {
            Checkpoints.Checkpoint target = null;
            long value = 0;
            while (true) {
                try {
                    if (target != null) {
                        Checkpoints.rewind(thread, frame, target, value);
                    }
                    long[] results = fn.apply(args);
                    if (thread.rewinding) {
                        throw new SetjmpTrap("the rewind to a stack checkpoint in " + export
                                + " ended without reaching it (was the module asyncified whole?)");
                    }
                    if (frame.unwind == null) {
                        return results;
                    }
                    target = Checkpoints.capture(thread, frame);
                    value = 0;
                } catch (LongJump jump) {
                    if (jump.frame != frame) {
                        throw jump; // taken in an outer call: this one (a signal handler's) is left
                    }
                    target = jump.checkpoint;
                    value = jump.value;
                }
            }
        } finally {
            thread.entries.pop();
        }
    }
}
