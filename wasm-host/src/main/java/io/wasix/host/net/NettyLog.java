package io.wasix.host.net;

import io.netty.util.internal.logging.AbstractInternalLogger;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.PrintStream;

/**
 * Netty's log, straight to stderr at INFO and above. Left to itself, Netty looks for SLF4J, Log4J 2 and
 * Log4J (three failed class loads with their exceptions) and then starts java.util.logging's LogManager,
 * which reads its configuration: boot time spent before the first socket, for a log this appliance does
 * not configure anyway. Installed once, before Netty's first use ({@link #install()}, from
 * {@link Transport}'s initialization); -Dio.wasix.nettyLog=netty leaves Netty to choose its own.
 *
 * <p>Threading: loggers may be called from any thread; each line is one println.
 */
final class NettyLog extends InternalLoggerFactory {
    private static final PrintStream OUT = System.err;
    private static boolean installed;

    private NettyLog() {}

    static synchronized void install() {
        if (!installed) {
            installed = true;
            if (!System.getProperty("io.wasix.nettyLog", "stderr").equals("netty")) {
                InternalLoggerFactory.setDefaultFactory(new NettyLog());
            }
        }
    }

    @Override
    protected InternalLogger newInstance(String name) {
        return new Logger(name);
    }

    /** Netty's "{}" placeholders, filled in order; a trailing Throwable argument is printed as the cause. */
    static String format(String pattern, Object... args) {
        StringBuilder b = new StringBuilder();
        int from = 0;
        int used = 0;
        int at;
        while (used < args.length && (at = pattern.indexOf("{}", from)) >= 0) {
            b.append(pattern, from, at).append(args[used++]);
            from = at + 2;
        }
        return b.append(pattern, from, pattern.length()).toString();
    }

    private static final class Logger extends AbstractInternalLogger {
        Logger(String name) {
            super(name);
        }

        private void print(String level, String msg, Throwable t) {
            OUT.println("netty " + level + " " + name() + ": " + msg + (t == null ? "" : ": " + t));
        }

        private void print(String level, String pattern, Object... args) {
            Throwable t = args.length > 0 && args[args.length - 1] instanceof Throwable e ? e : null;
            print(level, format(pattern, args), t);
        }

        @Override public boolean isTraceEnabled() { return false; }
        @Override public void trace(String msg) {}
        @Override public void trace(String format, Object arg) {}
        @Override public void trace(String format, Object a, Object b) {}
        @Override public void trace(String format, Object... args) {}
        @Override public void trace(String msg, Throwable t) {}

        @Override public boolean isDebugEnabled() { return false; }
        @Override public void debug(String msg) {}
        @Override public void debug(String format, Object arg) {}
        @Override public void debug(String format, Object a, Object b) {}
        @Override public void debug(String format, Object... args) {}
        @Override public void debug(String msg, Throwable t) {}

        @Override public boolean isInfoEnabled() { return true; }
        @Override public void info(String msg) { print("INFO", msg, (Throwable) null); }
        @Override public void info(String format, Object arg) { print("INFO", format, new Object[] {arg}); }
        @Override public void info(String format, Object a, Object b) { print("INFO", format, new Object[] {a, b}); }
        @Override public void info(String format, Object... args) { print("INFO", format, args); }
        @Override public void info(String msg, Throwable t) { print("INFO", msg, t); }

        @Override public boolean isWarnEnabled() { return true; }
        @Override public void warn(String msg) { print("WARN", msg, (Throwable) null); }
        @Override public void warn(String format, Object arg) { print("WARN", format, new Object[] {arg}); }
        @Override public void warn(String format, Object a, Object b) { print("WARN", format, new Object[] {a, b}); }
        @Override public void warn(String format, Object... args) { print("WARN", format, args); }
        @Override public void warn(String msg, Throwable t) { print("WARN", msg, t); }

        @Override public boolean isErrorEnabled() { return true; }
        @Override public void error(String msg) { print("ERROR", msg, (Throwable) null); }
        @Override public void error(String format, Object arg) { print("ERROR", format, new Object[] {arg}); }
        @Override public void error(String format, Object a, Object b) { print("ERROR", format, new Object[] {a, b}); }
        @Override public void error(String format, Object... args) { print("ERROR", format, args); }
        @Override public void error(String msg, Throwable t) { print("ERROR", msg, t); }
    }
}
