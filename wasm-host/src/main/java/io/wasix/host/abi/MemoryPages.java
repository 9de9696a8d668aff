package io.wasix.host.abi;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.Memory;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Reaches the page array behind Chicory's two memory classes, because Chicory's {@link Memory} can only read
 * into a new array, and a write of guest bytes into a file would pay for that array on every call. Both
 * classes keep a final array of 64 KiB pages (ByteBuffer[] or byte[][]), sized for the maximum, whose
 * slots are filled as the memory grows; callers check bounds against {@link Memory#pages()} first, which
 * is a volatile read that orders the slot's write before ours. Anything else (another Memory, another
 * Chicory layout) gets null, and {@link GuestMemory} falls back to readBytes. A {@link BoundedMemory} is seen
 * through to the ByteArrayMemory it forwards to. Any thread; no state.
 */
final class MemoryPages {
    static final int PAGE_SHIFT = 16;

    private MemoryPages() {}

    private static final Field BUFFER_PAGES = pagesField(ByteBufferMemory.class, ByteBuffer[].class);
    private static final Field ARRAY_PAGES = pagesField(ByteArrayMemory.class, byte[][].class);

    /** The memory's pages (a ByteBuffer[] or a byte[][]), or null when they cannot be reached. */
    static Object of(Memory memory) {
        if (memory instanceof BoundedMemory bounded) {
            memory = bounded.backing();
        }
        if (Memory.PAGE_SIZE != 1 << PAGE_SHIFT) {
            return null;
        }
        Field f = memory instanceof ByteBufferMemory ? BUFFER_PAGES : memory instanceof ByteArrayMemory ? ARRAY_PAGES : null;
        if (f == null) {
            return null;
        }
        try {
            return f.get(memory);
        } catch (IllegalAccessException | RuntimeException e) {
            return null;
        }
    }

    private static Field pagesField(Class<?> owner, Class<?> type) {
        try {
            Field f = owner.getDeclaredField("pages");
            if (f.getType() != type || !java.lang.reflect.Modifier.isFinal(f.getModifiers())) {
                return null; // a layout this class was not written for
            }
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
