package io.wasix.host.fs;

/**
 * A set-times request: each of atime and mtime is left alone, set to now, or set to a value (ns), as
 * fstflags say. Immutable; any thread.
 */
public record Times(boolean setAtime, boolean atimeNow, long atime, boolean setMtime, boolean mtimeNow, long mtime) {
    public long atimeOr(long now, long current) {
        return !setAtime ? current : atimeNow ? now : atime;
    }

    public long mtimeOr(long now, long current) {
        return !setMtime ? current : mtimeNow ? now : mtime;
    }
}
