package io.wasix.appliance.trap;

import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.internal.CompilerInterpreterMachine;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Names the wasm function a trap was raised in, for the one-line trap message. Stateless; the shard's thread
 * calls it once its guest has trapped.
 *
 * <p>Where Chicory 1.7.5 leaves that information: compiled code runs each wasm function as a JVM method
 * func_N (N the function index), so the trap's own stack frames name it; call-stack exhaustion is a
 * ChicoryException thrown where the machine was entered, whose cause, the StackOverflowError, holds those
 * frames. The interpreter's frames are all InterpreterMachine methods, so there the function comes from
 * what our interpreters recorded ({@link NamesInterpretedTraps}). Frames are read innermost first, from the
 * deepest cause out: whichever kind comes first, a compiled function or the interpreter, is where the trap was.
 */
public final class TrapSite {
    private static final Pattern COMPILED_FUNCTION = Pattern.compile("func_(\\d+)");
    private static final Set<String> INTERPRETER_CLASSES = Set.of(InterpreterMachine.class.getName(),
            CompilerInterpreterMachine.class.getName(), NamingInterpreter.class.getName(),
            FallbackInterpreter.class.getName());

    private TrapSite() {}

    /** "name (function #N)", "function #N", or null when the trap cannot be placed. */
    public static String describe(Throwable trap, WasmModule module, Machine machine) {
        int index = functionIndex(trap, machine);
        return index < 0 ? null : name(module, index);
    }

    static String name(WasmModule module, int index) {
        var names = module.nameSection();
        String name = names == null ? null : names.nameOfFunction(index);
        return name == null ? "function #" + index
                : io.wasix.appliance.module.GuestModule.printable(name) + " (function #" + index + ")";
    }

    private static int functionIndex(Throwable trap, Machine machine) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = trap; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(0, t);
        }
        for (Throwable t : chain) {
            for (StackTraceElement frame : t.getStackTrace()) {
                var m = COMPILED_FUNCTION.matcher(frame.getMethodName());
                if (m.matches()) {
                    return Integer.parseInt(m.group(1));
                }
                if (INTERPRETER_CLASSES.contains(frame.getClassName())
                        && machine instanceof NamesInterpretedTraps interpreter) {
                    int index = interpreter.interpretedTrapFunction();
                    if (index >= 0) {
                        return index;
                    }
                }
            }
        }
        return -1;
    }
}
