package io.wasix.appliance.cli;

import io.wasix.host.fs.MountSpec;
import io.wasix.host.fs.Quota;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Builds the guest's mount table from --dir (wasmtime: HOST::GUEST, or DIR for the same path on both
 * sides), --mapdir (wasmer: GUEST:HOST), --tmpfs (GUEST, an in-memory filesystem), --ro-layer (HOST::GUEST,
 * a read-only in-memory copy) and --quota (GUEST=BYTES[:INODES]), preopened in the order given. With none,
 * nothing is preopened, as in wasmtime. Runs on main.
 */
public final class Mounts {
    private final List<MountSpec> specs = new ArrayList<>();
    /** --quota values with the flag or variable each came from, which a message names. */
    private final List<QuotaArg> quotas = new ArrayList<>();

    private record QuotaArg(String value, String source) {}

    void dir(String arg) throws UsageException {
        dir(arg, "--dir");
    }

    /** {@code source}: the flag or APPLIANCE_* variable the value came from; messages name it. */
    void dir(String arg, String source) throws UsageException {
        int sep = arg.indexOf("::");
        String host = sep < 0 ? arg : arg.substring(0, sep);
        String guest = sep < 0 ? arg : arg.substring(sep + 2);
        specs.add(MountSpec.host(hostDir(host, source), guest(guest, source)));
    }

    void mapdir(String arg) throws UsageException {
        mapdir(arg, "--mapdir");
    }

    void mapdir(String arg, String source) throws UsageException {
        int sep = arg.indexOf(':');
        if (sep <= 0) {
            throw new UsageException(source + " wants GUEST:HOST, got '" + arg + "'");
        }
        String guest = arg.substring(0, sep);
        String host = arg.substring(arg.startsWith("::", sep) ? sep + 2 : sep + 1);
        specs.add(MountSpec.host(hostDir(host, source), guest(guest, source)));
    }

    void tmpfs(String guest) throws UsageException {
        tmpfs(guest, "--tmpfs");
    }

    void tmpfs(String guest, String source) throws UsageException {
        specs.add(MountSpec.memory(guest(guest, source)));
    }

    void roLayer(String arg) throws UsageException {
        int sep = arg.indexOf("::");
        String host = sep < 0 ? arg : arg.substring(0, sep);
        String guest = sep < 0 ? arg : arg.substring(sep + 2);
        specs.add(MountSpec.layer(hostDir(host, "--ro-layer"), guest(guest, "--ro-layer")));
    }

    void quota(String arg) {
        quota(arg, "--quota");
    }

    void quota(String arg, String source) {
        quotas.add(new QuotaArg(arg, source));
    }

    /** The mounts, quotas applied. */
    List<MountSpec> build() throws UsageException {
        List<MountSpec> out = new ArrayList<>(specs.isEmpty() ? MountSpec.defaults() : specs);
        for (QuotaArg quota : quotas) {
            String q = quota.value();
            String source = quota.source();
            int eq = q.lastIndexOf('=');
            if (eq <= 0) {
                throw new UsageException(source + " wants GUEST=BYTES[:INODES], got '" + q + "'");
            }
            String guest = q.substring(0, eq);
            String[] limits = q.substring(eq + 1).split(":", -1);
            if (limits.length > 2) {
                throw new UsageException(source + " wants GUEST=BYTES[:INODES], got '" + q + "'");
            }
            long bytes = size(limits[0], q, source);
            long inodes = limits.length == 2 ? size(limits[1], q, source) : Quota.UNLIMITED;
            boolean found = false;
            for (int i = 0; i < out.size(); i++) {
                if (out.get(i).guestPath().equals(guest)) {
                    out.set(i, out.get(i).withQuota(bytes, inodes));
                    found = true;
                }
            }
            if (!found) {
                throw new UsageException(source + " " + q + ": no mount at " + guest);
            }
        }
        return List.copyOf(out);
    }

    private static Path hostDir(String host, String flag) throws UsageException {
        Path p = Path.of(host.isEmpty() ? "." : host);
        if (!Files.isDirectory(p)) {
            throw new UsageException(flag + ": no such host directory: " + host);
        }
        return p;
    }

    private static String guest(String guest, String flag) throws UsageException {
        if (guest.isEmpty()) {
            throw new UsageException(flag + ": empty guest path");
        }
        return guest;
    }

    /** "4096", "64K", "10M", "1G" (powers of 1024); "unlimited" or "-" for none. */
    private static long size(String s, String arg, String source) throws UsageException {
        String t = s.trim().toUpperCase(Locale.ROOT);
        if (t.equals("UNLIMITED") || t.equals("-")) {
            return Quota.UNLIMITED;
        }
        long mult = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'K' -> mult = 1L << 10;
                case 'M' -> mult = 1L << 20;
                case 'G' -> mult = 1L << 30;
                default -> mult = 1;
            }
            if (mult != 1) {
                t = t.substring(0, t.length() - 1);
            }
        }
        try {
            long v = Long.parseLong(t);
            if (v >= 0) {
                return Math.multiplyExact(v, mult);
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // fall through to the message
        }
        throw new UsageException(source + " wants sizes like 4096, 64K, 10M or 1G, got '" + arg + "'");
    }
}
