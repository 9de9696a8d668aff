package io.wasix.host.thread;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;

/**
 * What setjmp/longjmp need of one instance: binaryen's asyncify exports (a module built with
 * {@code wasm-opt --asyncify}, as wasix-libc programs are), its exported {@code __stack_pointer}, and its
 * mutable globals, saved with a checkpoint and put back when the stack is rewound to it. The asyncify data
 * block lives at the bottom of the thread's stack, as wasmer puts it: {@code {u32 current, u32 end}}, the
 * saved frames from 8 bytes on, up to the stack pointer.
 *
 * <p>Threading: one per guest thread, used only by it (its instance is its own).
 */
final class Asyncify {
    static final String START_UNWIND = "asyncify_start_unwind", STOP_UNWIND = "asyncify_stop_unwind",
            START_REWIND = "asyncify_start_rewind", STOP_REWIND = "asyncify_stop_rewind";
    static final String STACK_POINTER = "__stack_pointer";

    private final ExportFunction startUnwind, stopUnwind, startRewind, stopRewind;
    private final GlobalInstance stackPointer;
    private final Instance instance;

    private Asyncify(Instance instance) {
        this.instance = instance;
        this.startUnwind = instance.export(START_UNWIND);
        this.stopUnwind = instance.export(STOP_UNWIND);
        this.startRewind = instance.export(START_REWIND);
        this.stopRewind = instance.export(STOP_REWIND);
        this.stackPointer = instance.exports().global(STACK_POINTER);
    }

    /** The instance's asyncify, or a trap naming what its module lacks. */
    static Asyncify of(Instance instance) {
        for (String name : new String[] {START_UNWIND, STOP_UNWIND, START_REWIND, STOP_REWIND}) {
            if (!exportsA(instance, name, ExternalType.FUNCTION)) {
                throw new SetjmpTrap("stack_checkpoint (setjmp) needs a module built with asyncify "
                        + "(wasm-opt --asyncify, as wasix-libc's toolchain does): this one exports no " + name);
            }
        }
        if (!exportsA(instance, STACK_POINTER, ExternalType.GLOBAL)) {
            throw new SetjmpTrap("stack_checkpoint (setjmp) needs the module to export " + STACK_POINTER
                    + " (wasm-ld --export=" + STACK_POINTER + ")");
        }
        return new Asyncify(instance);
    }

    private static boolean exportsA(Instance instance, String name, ExternalType type) {
        var exports = instance.module().exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            var e = exports.getExport(i);
            if (e.name().equals(name) && e.exportType() == type) {
                return true;
            }
        }
        return false;
    }

    int stackPointer() {
        return (int) stackPointer.getValue();
    }

    void startUnwind(int data) {
        startUnwind.apply(data);
    }

    void stopUnwind() {
        stopUnwind.apply();
    }

    void startRewind(int data) {
        startRewind.apply(data);
    }

    void stopRewind() {
        stopRewind.apply();
    }

    /** The values of every mutable global, low and high words (v128 has both), in index order. */
    long[] saveGlobals() {
        int n = instance.globalCount();
        long[] saved = new long[2 * n];
        for (int i = 0; i < n; i++) {
            GlobalInstance g = instance.global(i);
            if (g.getMutabilityType() == MutabilityType.Var) {
                saved[2 * i] = g.getValueLow();
                saved[2 * i + 1] = g.getValueHigh();
            }
        }
        return saved;
    }

    /** Puts back what {@link #saveGlobals} saved. */
    void restoreGlobals(long[] saved) {
        for (int i = 0; i < saved.length / 2; i++) {
            GlobalInstance g = instance.global(i);
            if (g.getMutabilityType() == MutabilityType.Var) {
                g.setValueLow(saved[2 * i]);
                g.setValueHigh(saved[2 * i + 1]);
            }
        }
    }

    /**
     * The main thread's stack, {lower, upper}, read before {@code _start} runs, as wasmer finds it: the top is
     * {@code __stack_high} or the initial {@code __stack_pointer}; the bottom {@code __stack_low}, else
     * {@code __data_end} (at or above the top: the stack comes first in memory and starts at 0), else 0 when
     * every data segment lies above the top (--stack-first). Null when the module says too little to tell,
     * so that a checkpoint refuses rather than write over its data.
     */
    static long[] mainStack(Instance instance) {
        Long top = exportedGlobal(instance, "__stack_high");
        if (top == null) {
            top = exportedGlobal(instance, STACK_POINTER);
        }
        if (top == null) {
            return null;
        }
        Long low = exportedGlobal(instance, "__stack_low");
        if (low == null) {
            Long dataEnd = exportedGlobal(instance, "__data_end");
            if (dataEnd != null) {
                low = dataEnd < top ? dataEnd : 0L;
            } else if (dataAbove(instance, top)) {
                low = 0L;
            }
        }
        return low == null || low >= top ? null : new long[] {low, top};
    }

    private static Long exportedGlobal(Instance instance, String name) {
        if (!exportsA(instance, name, ExternalType.GLOBAL)) {
            return null;
        }
        GlobalInstance g = instance.exports().global(name);
        return ValType.I32.equals(g.getType()) ? Integer.toUnsignedLong((int) g.getValue()) : null;
    }

    /** Whether the module has active data segments, every one at a constant address at or above {@code top}. */
    private static boolean dataAbove(Instance instance, long top) {
        if (instance.module().dataSection() == null) {
            return false;
        }
        var segments = instance.module().dataSection().dataSegments();
        boolean any = false;
        for (var s : segments) {
            if (!(s instanceof ActiveDataSegment a)) {
                return false; // placed by code we do not read (a shared memory's __wasm_init_memory)
            }
            var offset = a.offsetInstructions();
            if (offset.isEmpty() || offset.get(0).opcode() != OpCode.I32_CONST
                    || Integer.toUnsignedLong((int) offset.get(0).operand(0)) < top) {
                return false;
            }
            any = true;
        }
        return any;
    }
}
