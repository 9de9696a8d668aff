package io.wasix.host.abi;

/**
 * WASI/WASIX errno values. The ordinal of each constant is its wire value, so the order here is the ABI:
 * never reorder or insert. Immutable; any thread.
 */
public enum Errno {
    SUCCESS, TOOBIG, ACCES, ADDRINUSE, ADDRNOTAVAIL, AFNOSUPPORT, AGAIN, ALREADY, BADF, BADMSG,
    BUSY, CANCELED, CHILD, CONNABORTED, CONNREFUSED, CONNRESET, DEADLK, DESTADDRREQ, DOM, DQUOT,
    EXIST, FAULT, FBIG, HOSTUNREACH, IDRM, ILSEQ, INPROGRESS, INTR, INVAL, IO,
    ISCONN, ISDIR, LOOP, MFILE, MLINK, MSGSIZE, MULTIHOP, NAMETOOLONG, NETDOWN, NETRESET,
    NETUNREACH, NFILE, NOBUFS, NODEV, NOENT, NOEXEC, NOLCK, NOLINK, NOMEM, NOMSG,
    NOPROTOOPT, NOSPC, NOSYS, NOTCONN, NOTDIR, NOTEMPTY, NOTRECOVERABLE, NOTSOCK, NOTSUP, NOTTY,
    NXIO, OVERFLOW, OWNERDEAD, PERM, PIPE, PROTO, PROTONOSUPPORT, PROTOTYPE, RANGE, ROFS,
    SPIPE, SRCH, STALE, TIMEDOUT, TXTBSY, XDEV, NOTCAPABLE, SHUTDOWN, MEMVIOLATION, UNKNOWN,
    PENDING;

    private static final Errno[] BY_CODE = values();

    /** The u16 wire value. */
    public int code() {
        return ordinal();
    }

    public static Errno of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNKNOWN;
    }

    /** An exception carrying this errno, without a stack trace: it is an answer, not a bug. */
    public WasiException fail() {
        return new WasiException(this);
    }
}
