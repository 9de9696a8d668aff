package io.wasix.appliance.module;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our SHA-256 against FIPS 180-4's examples and the JDK's, across every padding case. */
class Sha256Test {

    @Test
    void theStandardsExamples() {
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Sha256.ofBytes(new byte[0]));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                Sha256.ofBytes("abc".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
                Sha256.ofBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".getBytes(StandardCharsets.US_ASCII)));
    }

    /** Lengths around each block and padding boundary, whole and fed in uneven pieces. */
    @Test
    void agreesWithTheJdkAtEveryBoundary() throws Exception {
        Random r = new Random(42);
        for (int len : new int[] {1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 65_537}) {
            byte[] data = new byte[len];
            r.nextBytes(data);
            String jdk = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
            assertEquals(jdk, Sha256.ofBytes(data), "length " + len);
            Sha256 pieces = new Sha256();
            for (int off = 0, step = 1; off < len; off += step, step = step * 3 % 97 + 1) {
                pieces.update(data, off, Math.min(step, len - off));
            }
            assertEquals(jdk, Sha256.hex(pieces.digest()), "length " + len + " in pieces");
        }
    }

    @Test
    void ofAFile(@TempDir Path dir) throws Exception {
        byte[] data = new byte[200_000];
        new Random(7).nextBytes(data);
        Path f = Files.write(dir.resolve("m.wasm"), data);
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)), Sha256.ofFile(f));
    }
}
