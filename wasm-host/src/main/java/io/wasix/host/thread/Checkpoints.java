package io.wasix.host.thread;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import java.util.concurrent.ThreadLocalRandom;

/**
 * stack_checkpoint and stack_restore: what each does to the calling thread's stack, and what {@link EntryCall}
 * does when the unwind of a checkpoint reaches it or a longjmp comes back to it. The snapshot the guest keeps
 * (its jmp_buf, 24 bytes) holds, as wasmer's: the address of the checkpoint's result (u64 at 0) and a
 * 128-bit id (at 8) naming a checkpoint kept here: the saved frames and the globals. The id is random, so a
 * jmp_buf that no setjmp of this thread filled names nothing.
 *
 * <p>Threading: on the guest thread that owns the stack; nothing here is shared.
 */
public final class Checkpoints {
    /** The jmp_buf's size: user data u64, then the 16-byte id. */
    public static final int SNAPSHOT_BYTES = 24;
    /** Room the unwind needs below the stack pointer, beyond the 8-byte header: at least a few frames. */
    private static final int MIN_UNWIND_ROOM = 64;

    /** A checkpoint: the asyncify frames from the call that took it up to its entry, and the globals then. */
    record Checkpoint(long idLow, long idHigh, byte[] frames, long[] globals) {}

    /** A checkpoint under way: where its jmp_buf and its result are. */
    record Unwind(int snapshot, int result) {}

    private Checkpoints() {}

    /**
     * stack_checkpoint on {@code t}, the calling thread. Reached again by the rewind of a checkpoint, it ends
     * the rewind and writes the value given back (0 for setjmp's first return, longjmp's value after).
     * Otherwise it writes 0 to the result, clears the jmp_buf and starts the unwind to the entry call.
     * Memory bounds are the caller's to check.
     */
    public static void checkpoint(GuestThread t, Instance instance, int snapshot, int result) {
        Memory m = instance.memory();
        if (t.rewinding) {
            t.rewinding = false;
            asyncify(t, instance).stopRewind();
            m.writeLong(result, t.rewindValue);
            return;
        }
        EntryCall.Frame frame = t.entries.peek();
        if (frame == null || frame.instance != instance) {
            throw new SetjmpTrap("stack_checkpoint (setjmp) called outside any call the host made into this thread");
        }
        Asyncify a = asyncify(t, instance);
        if (t.stackUpper == 0) {
            throw new SetjmpTrap("stack_checkpoint (setjmp): the bounds of thread " + t.tid + "'s stack are unknown; "
                    + "export __stack_low and __stack_high (or __data_end) from the module");
        }
        long sp = Integer.toUnsignedLong(a.stackPointer());
        long data = t.stackLower;
        if (sp - data < 8 + MIN_UNWIND_ROOM || sp > t.stackUpper) {
            throw new SetjmpTrap("stack_checkpoint (setjmp): the stack pointer " + sp + " of thread " + t.tid
                    + " is outside its stack [" + data + ", " + t.stackUpper + ")");
        }
        m.writeLong(result, 0);
        m.write(snapshot, new byte[SNAPSHOT_BYTES]);
        m.writeI32((int) data, (int) data + 8);
        m.writeI32((int) data + 4, (int) sp);
        frame.unwind = new Unwind(snapshot, result);
        a.startUnwind((int) data);
    }

    /**
     * The unwind of a checkpoint reached its entry call: keeps the saved frames and the globals as a
     * checkpoint, names it in the jmp_buf, and returns it for the rewind back into it.
     */
    static Checkpoint capture(GuestThread t, EntryCall.Frame frame) {
        Unwind u = frame.unwind;
        frame.unwind = null;
        Asyncify a = t.asyncify;
        Memory m = frame.instance.memory();
        int data = (int) t.stackLower;
        int end = m.readInt(data);
        if (Integer.toUnsignedLong(end) < t.stackLower + 8 || Integer.toUnsignedLong(end) > t.stackUpper) {
            throw new SetjmpTrap("stack_checkpoint (setjmp): asyncify left its data pointer at " + end
                    + ", outside the stack of thread " + t.tid);
        }
        byte[] frames = m.readBytes(data + 8, end - (data + 8));
        a.stopUnwind();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Checkpoint c = new Checkpoint(random.nextLong(), random.nextLong(), frames, a.saveGlobals());
        frame.checkpoints.remove(u.snapshot()); // a jmp_buf holds its latest setjmp only
        frame.checkpoints.put(u.snapshot(), c);
        m.writeLong(u.snapshot(), Integer.toUnsignedLong(u.result()));
        m.writeLong(u.snapshot() + 8, c.idLow());
        m.writeLong(u.snapshot() + 16, c.idHigh());
        return c;
    }

    /**
     * Sets the instance up to rewind into {@code c} when its entry is called again: the globals as they were
     * (the stack pointer with them), the frames in the data block, and {@code value} for the checkpoint's
     * stack_checkpoint to give back. The stack's memory is left as it is, as longjmp leaves it.
     */
    static void rewind(GuestThread t, EntryCall.Frame frame, Checkpoint c, long value) {
        Asyncify a = t.asyncify;
        Memory m = frame.instance.memory();
        int data = (int) t.stackLower;
        a.restoreGlobals(c.globals());
        m.write(data + 8, c.frames());
        m.writeI32(data, data + 8 + c.frames().length);
        m.writeI32(data + 4, (int) t.stackUpper);
        t.rewindValue = value;
        t.rewinding = true;
        a.startRewind(data);
    }

    /**
     * stack_restore on {@code t}: leaves for the checkpoint the jmp_buf names (it throws, never returns). A
     * jmp_buf naming none of this thread's live checkpoints traps.
     */
    public static RuntimeException restore(GuestThread t, Memory m, int snapshot, long value) {
        throw find(t, m, snapshot, value);
    }

    private static LongJump find(GuestThread t, Memory m, int snapshot, long value) {
        long idLow = m.readLong(snapshot + 8), idHigh = m.readLong(snapshot + 16);
        for (EntryCall.Frame f : t.entries) {
            Checkpoint c = f.checkpoints.get(snapshot);
            if (c != null && c.idLow() == idLow && c.idHigh() == idHigh) {
                return new LongJump(f, c, value);
            }
        }
        for (EntryCall.Frame f : t.entries) { // a jmp_buf copied elsewhere still names its checkpoint
            for (Checkpoint c : f.checkpoints.values()) {
                if (c.idLow() == idLow && c.idHigh() == idHigh) {
                    return new LongJump(f, c, value);
                }
            }
        }
        throw new SetjmpTrap("stack_restore (longjmp): the jmp_buf at " + Integer.toUnsignedString(snapshot)
                + " names no checkpoint of thread " + t.tid + " (no setjmp filled it, or its function has returned)");
    }

    private static Asyncify asyncify(GuestThread t, Instance instance) {
        if (t.asyncify == null) {
            t.asyncify = Asyncify.of(instance);
        }
        return t.asyncify;
    }
}
