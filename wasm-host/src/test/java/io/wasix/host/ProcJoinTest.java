package io.wasix.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * proc_join in both signatures found in the wild: today's (pid*, flags, JoinStatus*) and the 2023 ABI's
 * (pid*, exit code*), which wasmer's prebuilt dash and bash import. Without children (this host makes none) a
 * join answers ECHILD with the pid None and the status Nothing, as wasmer does, so libc's waitpid fails with
 * ECHILD instead of the module being refused at load (the 2023 signature) or the wait failing with ENOTSUP.
 */
class ProcJoinTest {
    static final FunctionType TODAY = FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32),
            List.of(ValType.I32));
    static final FunctionType OF_2023 = FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));
    static final int PID = 1024, STATUS = 2048, PAGE = 65536;

    private static void join(List<FunctionType> types, JoinCheck check) {
        List<ImportingGuest.Import> imports = types.stream()
                .map(t -> new ImportingGuest.Import("wasix_32v1", "proc_join", t)).toList();
        WasmModule module = Parser.parse(ImportingGuest.module(imports));
        assertEquals(List.of(), WasixHost.missingImports(module), "a module importing " + types + " loads");
        Transports.require(Transport.NIO);
        try (WasixHost host = new WasixHost(HostConfig.of(Transport.NIO))) {
            Instance instance = Instance.builder(module).withImportValues(host.imports(module))
                    .withMemoryFactory(WasixHost::newMemory).withStart(false).build();
            for (int i = 0; i < types.size(); i++) {
                check.run(instance, "call" + i, types.get(i));
            }
        }
    }

    interface JoinCheck {
        void run(Instance instance, String export, FunctionType type);
    }

    private static int call(Instance instance, String export, FunctionType type, int pid, int status) {
        long[] args = type.params().size() == 3 ? new long[] {pid, 0, status} : new long[] {pid, status};
        return (int) instance.export(export).apply(args)[0];
    }

    private static void fill(Memory memory, int at, int len) {
        for (int i = 0; i < len; i++) {
            memory.writeByte(at + i, (byte) 0x5a);
        }
    }

    @Test
    void withoutChildrenBothSignaturesAnswerEchildAndClearThePidAndStatus() {
        for (List<FunctionType> types : List.of(List.of(TODAY), List.of(OF_2023), List.of(OF_2023, TODAY))) {
            join(types, (instance, export, type) -> {
                Memory memory = instance.memory();
                int statusSize = type == OF_2023 ? 4 : 6;
                for (int tag : new int[] {0, 1}) { // None: any child; Some(7): that child
                    fill(memory, PID, 8);
                    fill(memory, STATUS, 8);
                    memory.writeByte(PID, (byte) tag);
                    memory.writeI32(PID + 4, 7);
                    assertEquals(Errno.CHILD.code(), call(instance, export, type, PID, STATUS), type + " tag " + tag);
                    assertEquals(0, memory.read(PID), "the pid comes back None");
                    for (int i = 0; i < statusSize; i++) {
                        assertEquals(0, memory.read(STATUS + i), "status byte " + i + " is Nothing / exit code 0");
                    }
                    assertEquals(0x5a, memory.read(STATUS + statusSize) & 0xff, "nothing past the status is written");
                }
            });
        }
    }

    @Test
    void aBadTagIsEinvalAndABadPointerEfaultAndNeitherWritesAnything() {
        join(List.of(TODAY, OF_2023), (instance, export, type) -> {
            Memory memory = instance.memory();
            fill(memory, PID, 8);
            fill(memory, STATUS, 8);
            memory.writeByte(PID, (byte) 2);
            assertEquals(Errno.INVAL.code(), call(instance, export, type, PID, STATUS), type.toString());
            assertEquals(2, memory.read(PID));
            assertEquals(0x5a, memory.read(STATUS) & 0xff, "an invalid join writes no status");
            memory.writeByte(PID, (byte) 0);
            assertEquals(Errno.FAULT.code(), call(instance, export, type, PID, PAGE - 2), type + ": status past memory");
            assertEquals(0, memory.read(PID));
            assertEquals(0x5a, memory.read(PID + 1) & 0xff, "a faulting join writes no pid");
            assertEquals(Errno.FAULT.code(), call(instance, export, type, PAGE - 4, STATUS), type + ": pid past memory");
        });
    }
}
