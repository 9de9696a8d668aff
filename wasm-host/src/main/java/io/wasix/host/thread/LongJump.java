package io.wasix.host.thread;

/**
 * stack_restore (longjmp) on its way to the host's call that took the checkpoint: thrown from the host
 * function, it leaves the guest's frames, and any call of a signal handler in between, as control flow, and
 * {@link EntryCall} rewinds that call to the checkpoint. Stackless.
 */
final class LongJump extends RuntimeException {
    final EntryCall.Frame frame;
    final Checkpoints.Checkpoint checkpoint;
    final long value;

    LongJump(EntryCall.Frame frame, Checkpoints.Checkpoint checkpoint, long value) {
        super("longjmp", null, false, false);
        this.frame = frame;
        this.checkpoint = checkpoint;
        this.value = value;
    }
}
