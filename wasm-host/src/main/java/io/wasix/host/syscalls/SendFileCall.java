package io.wasix.host.syscalls;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static com.dylibso.chicory.wasm.types.ValType.I64;

import io.netty.buffer.ByteBuf;
import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.WasiException;
import io.wasix.host.fd.FdTable;
import io.wasix.host.fs.DirDescriptor;
import io.wasix.host.fs.FileDescriptor;
import io.wasix.host.fs.OpenFile;
import io.wasix.host.fs.Rights;
import io.wasix.host.net.GuestBuffers;
import io.wasix.host.net.GuestSocket;
import io.wasix.host.net.GuestUdpSocket;
import java.util.List;

/**
 * sock_send_file(out_fd, in_fd, offset u64, count u64, ret_sent* u64): a regular file's bytes down a socket, as
 * sendfile(2), straight from the file into the channel's buffers. The offset is taken as wasmer takes it: the
 * file's position is set to it and moves past what was sent (Linux's sendfile takes a pointer instead and leaves
 * the position alone; the WASIX call has only a value). A TCP socket gets the bytes as sock_send would, blocking
 * or not; a UDP socket gets them as one datagram. Runs on the guest thread; in threaded mode, on any guest thread
 * under the shard lock (a blocking send lets it go while it waits, as sock_send does).
 */
final class SendFileCall {
    private final GuestState state;

    SendFileCall(GuestState state) {
        this.state = state;
    }

    void register(HostFunctions r) {
        r.wasix("sock_send_file", List.of(I32, I32, I64, I64, I32),
                (m, a) -> sendFile(m, (int) a[0], (int) a[1], a[2], a[3], (int) a[4]));
    }

    private int sendFile(GuestMemory m, int outFd, int inFd, long offset, long count, int retSent) {
        m.check(retSent, 8);
        FdTable.Entry out = state.fds.entry(outFd);
        var socket = SocketCalls.asSocket(out.descriptor());
        FileDescriptor file = switch (state.fds.get(inFd)) {
            case FileDescriptor f -> f;
            case DirDescriptor d -> throw Errno.ISDIR.fail();
            default -> throw Errno.INVAL.fail(); // as sendfile(2) from what cannot be mapped (a socket, a pipe)
        };
        FsCalls.need(file.rightsBase(), Rights.FD_READ);
        if (!file.readable()) {
            throw Errno.BADF.fail();
        }
        if (offset < 0 || count < 0) {
            throw Errno.INVAL.fail(); // a u64 past what a file position holds
        }
        long end = Math.min(file.data().size(), count > Long.MAX_VALUE - offset ? Long.MAX_VALUE : offset + count);
        file.position(offset);
        long sent = 0;
        FileRange range = new FileRange(state, file.data());
        switch (socket) {
            case GuestSocket s -> {
                while (offset + sent < end) {
                    range.reset(offset + sent, end);
                    long want = Math.min(range.total(), Integer.MAX_VALUE); // what one send call takes at most
                    int n;
                    try {
                        n = s.send(range, out.nonBlocking());
                    } catch (WasiException e) {
                        if (sent == 0) {
                            throw e;
                        }
                        break; // what went before is the answer, as a partial send's
                    }
                    sent += n;
                    file.position(offset + sent);
                    if (n < want) {
                        break; // it took what it could (non-blocking, or its timeout passed)
                    }
                }
            }
            case GuestUdpSocket u -> {
                if (offset < end) { // at the end of the file there is nothing to send, not an empty datagram
                    range.reset(offset, end);
                    sent = u.send(range, null, out.nonBlocking());
                    file.position(offset + sent);
                }
            }
        }
        m.writeI64(retSent, sent);
        return 0;
    }

    /** The bytes of a file from a position to an end, read as the socket takes them, in copy-buffer pieces. */
    private static final class FileRange implements GuestBuffers {
        private final GuestState state;
        private final OpenFile data;
        private long pos;
        private long end;

        FileRange(GuestState state, OpenFile data) {
            this.state = state;
            this.data = data;
        }

        void reset(long from, long to) {
            pos = from;
            end = to;
        }

        @Override
        public long total() {
            return end - pos;
        }

        @Override
        public void put(ByteBuf src, int index, int len) {
            throw new UnsupportedOperationException("a file range is only sent from");
        }

        @Override
        public void take(ByteBuf dst, int len) {
            while (len > 0) {
                int chunk = Math.min(len, GuestState.COPY_BUFFER_SIZE);
                byte[] tmp = state.copyBuffer(chunk);
                int n = data.read(pos, tmp, 0, chunk);
                if (n <= 0) {
                    throw Errno.IO.fail(); // the file shrank under the send
                }
                dst.writeBytes(tmp, 0, n);
                pos += n;
                len -= n;
            }
        }
    }
}
