package io.wasix.host.abi;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.Memory;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Reaches the page array behind Chicory's two memory classes, because Chicory's {@link Memory} can only read
 * into a new array, and a write of guest bytes into a file would pay for that array on every call. Both
 * classes keep a final array of 64 KiB pages (ByteBuffer[] or byte[][]), sized for the maximum, whose
 * slots are filled as the memory grows; callers check bounds against {@link Memory#pages()} first, which
 * is a volatile read that orders the slot's write before ours. A {@link SharedMemory} keeps its bytes in a
 * ByteArrayMemory, whose pages these are, and a {@link BoundedMemory} is seen through to the ByteArrayMemory it
 * forwards to. Anything else (another Memory, another Chicory layout) gets null, and {@link GuestMemory} falls
 * back to readBytes. Any thread; no state.
 */
final class MemoryPages {
    static final int PAGE_SHIFT = 16;

    private MemoryPages() {}

    /*
     * VarHandles, not Field.get: a Field's first get builds its accessor from method handles whose LambdaForms
     * the JDK spins at run time (three classes, the AOT cache keeps none), on the shard's thread before its
     * guest's first syscall returns. A VarHandle's get links through the pre-generated guards.
     */
    private static final VarHandle BUFFER_PAGES = pagesField(ByteBufferMemory.class, ByteBuffer[].class);
    private static final VarHandle ARRAY_PAGES = pagesField(ByteArrayMemory.class, byte[][].class);

    /** The memory's pages (a ByteBuffer[] or a byte[][]), or null when they cannot be reached. */
    static Object of(Memory memory) {
        if (memory instanceof BoundedMemory bounded) {
            memory = bounded.backing();
        } else if (memory instanceof SharedMemory shared) {
            memory = shared.storage();
        }
        if (Memory.PAGE_SIZE != 1 << PAGE_SHIFT) {
            return null;
        }
        try {
            if (memory instanceof ByteArrayMemory m && ARRAY_PAGES != null) {
                return (byte[][]) ARRAY_PAGES.get(m);
            }
            if (memory instanceof ByteBufferMemory m && BUFFER_PAGES != null) {
                return (ByteBuffer[]) BUFFER_PAGES.get(m);
            }
        } catch (RuntimeException e) {
            // fall through: GuestMemory copies through Chicory's API instead
        }
        return null;
    }

    private static VarHandle pagesField(Class<?> owner, Class<?> type) {
        try {
            Field f = owner.getDeclaredField("pages");
            if (f.getType() != type || !java.lang.reflect.Modifier.isFinal(f.getModifiers())) {
                return null; // a layout this class was not written for
            }
            return MethodHandles.privateLookupIn(owner, MethodHandles.lookup()).findVarHandle(owner, "pages", type);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
