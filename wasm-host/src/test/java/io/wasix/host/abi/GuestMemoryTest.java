package io.wasix.host.abi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** readInto: the copy out of guest memory without a temporary array, on both Chicory memories and others. */
class GuestMemoryTest {
    static final int PAGE = Memory.PAGE_SIZE;

    private static List<Supplier<Memory>> memories() {
        return List.of(() -> new ByteBufferMemory(new MemoryLimits(1, 4)),
                () -> new ByteArrayMemory(new MemoryLimits(1, 4)),
                () -> wrapped(new ByteBufferMemory(new MemoryLimits(1, 4))));
    }

    /** A Memory of no class MemoryPages knows: every call forwarded, so readInto must fall back. */
    private static Memory wrapped(Memory inner) {
        return (Memory) Proxy.newProxyInstance(Memory.class.getClassLoader(), new Class<?>[] {Memory.class},
                (proxy, method, args) -> method.invoke(inner, args));
    }

    @Test
    void pagesAreReachedForChicorysMemoriesOnly() {
        assertNotNull(MemoryPages.of(new ByteBufferMemory(new MemoryLimits(1, 4))));
        assertNotNull(MemoryPages.of(new ByteArrayMemory(new MemoryLimits(1, 4))));
        assertNull(MemoryPages.of(wrapped(new ByteBufferMemory(new MemoryLimits(1, 4)))));
    }

    @Test
    void readIntoCopiesAcrossPagesAndAfterGrowth() {
        for (Supplier<Memory> make : memories()) {
            Memory mem = make.get();
            GuestMemory m = new GuestMemory(mem); // made before the growth, as GuestState makes it
            mem.grow(2);
            byte[] pattern = new byte[PAGE + 300];
            for (int i = 0; i < pattern.length; i++) {
                pattern[i] = (byte) (i * 31 + 7);
            }
            int addr = PAGE - 100; // starts in page 0, runs through page 1 into page 2
            mem.write(addr, pattern, 0, pattern.length);
            byte[] got = new byte[pattern.length + 10];
            Arrays.fill(got, (byte) 0x5a);
            m.readInto(addr, got, 5, pattern.length);
            assertArrayEquals(pattern, Arrays.copyOfRange(got, 5, 5 + pattern.length), mem.getClass().getName());
            assertEquals(0x5a, got[4]);
            assertEquals(0x5a, got[pattern.length + 5]);
        }
    }

    @Test
    void readIntoOutsideMemoryIsEfault() {
        for (Supplier<Memory> make : memories()) {
            GuestMemory m = new GuestMemory(make.get());
            byte[] dst = new byte[16];
            assertEquals(Errno.FAULT, assertThrows(WasiException.class, () -> m.readInto(PAGE - 8, dst, 0, 16)).errno());
            assertEquals(Errno.FAULT, assertThrows(WasiException.class, () -> m.readInto(-1, dst, 0, 2)).errno());
            assertThrows(IndexOutOfBoundsException.class, () -> m.readInto(0, dst, 8, 16)); // a host bug, not EFAULT
        }
    }

    @Test
    void writeCopiesAcrossPagesAndAfterGrowth() {
        for (Supplier<Memory> make : memories()) {
            Memory mem = make.get();
            GuestMemory m = new GuestMemory(mem);
            mem.grow(3); // to the maximum, 4 pages
            byte[] pattern = new byte[PAGE + 300];
            for (int i = 0; i < pattern.length; i++) {
                pattern[i] = (byte) (i * 17 + 3);
            }
            int addr = 2 * PAGE - 200; // page 1 into page 2 and 3, the pages growth added
            m.write(addr, pattern, 0, pattern.length);
            assertArrayEquals(pattern, mem.readBytes(addr, pattern.length), mem.getClass().getName());
            assertEquals(0, mem.read(addr - 1));
            assertEquals(0, mem.read(addr + pattern.length));
            assertEquals(Errno.FAULT, assertThrows(WasiException.class, () -> m.write(4 * PAGE - 4, pattern, 0, 8)).errno());
        }
    }

    @Test
    void byteBufCopiesCrossPagesBothWaysOnEveryMemory() {
        for (boolean direct : new boolean[] {true, false}) {
            for (Supplier<Memory> make : memories()) {
                Memory mem = make.get();
                GuestMemory m = new GuestMemory(mem);
                mem.grow(2);
                byte[] pattern = new byte[PAGE + 300];
                for (int i = 0; i < pattern.length; i++) {
                    pattern[i] = (byte) (i * 13 + 1);
                }
                int addr = PAGE - 100;
                mem.write(addr, pattern, 0, pattern.length);
                io.netty.buffer.ByteBuf buf = direct
                        ? io.netty.buffer.Unpooled.directBuffer(pattern.length + 3)
                        : io.netty.buffer.Unpooled.buffer(pattern.length + 3);
                try {
                    buf.writeBytes(new byte[] {9, 9, 9});
                    m.readInto(addr, buf, pattern.length); // appended after the 3 bytes already there
                    assertEquals(pattern.length + 3, buf.writerIndex());
                    byte[] out = new byte[pattern.length];
                    buf.getBytes(3, out);
                    assertArrayEquals(pattern, out, mem.getClass().getName());

                    mem.fill((byte) 0, 0, 3 * PAGE);
                    m.writeFrom(addr + 1, buf, 3, pattern.length); // from index 3, reader index untouched
                    assertEquals(0, buf.readerIndex());
                    assertArrayEquals(pattern, mem.readBytes(addr + 1, pattern.length), mem.getClass().getName());
                    assertEquals(0, mem.read(addr));
                    assertEquals(0, mem.read(addr + 1 + pattern.length));
                    // past the end of memory: EFAULT before anything is copied
                    assertEquals(Errno.FAULT, assertThrows(WasiException.class,
                            () -> m.writeFrom(3 * PAGE - 8, buf, 3, 16)).errno());
                    assertEquals(Errno.FAULT, assertThrows(WasiException.class,
                            () -> m.readInto(3 * PAGE - 8, buf, 16)).errno());
                } finally {
                    buf.release();
                }
            }
        }
    }
}
