package io.wasix.host.fs;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.WasiException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

/**
 * Turns a java.nio failure on a host mount into the errno the kernel gave. The JDK keeps only the errno's
 * message for most failures, so the message is matched. Stateless; any thread.
 */
final class IoErrors {
    private IoErrors() {}

    static WasiException of(IOException e) {
        return errno(e).fail();
    }

    static Errno errno(IOException e) {
        return switch (e) {
            case NoSuchFileException x -> Errno.NOENT;
            case FileAlreadyExistsException x -> Errno.EXIST;
            case DirectoryNotEmptyException x -> Errno.NOTEMPTY;
            case NotDirectoryException x -> Errno.NOTDIR;
            case NotLinkException x -> Errno.INVAL;
            case AccessDeniedException x -> Errno.ACCES;
            case FileSystemException x -> byReason(x.getReason());
            // ELOOP from an open with NOFOLLOW_LINKS comes as a bare IOException
            default -> e.getMessage() != null && e.getMessage().startsWith("Too many levels of symbolic links")
                    ? Errno.LOOP : Errno.IO;
        };
    }

    private static Errno byReason(String reason) {
        if (reason == null) {
            return Errno.IO;
        }
        return switch (reason) {
            case "Not a directory" -> Errno.NOTDIR;
            case "Is a directory" -> Errno.ISDIR;
            case "Directory not empty" -> Errno.NOTEMPTY;
            case "Invalid argument" -> Errno.INVAL;
            case "Too many levels of symbolic links",
                    "Too many levels of symbolic links or unable to access attributes of symbolic link" -> Errno.LOOP;
            case "Invalid cross-device link" -> Errno.XDEV;
            case "File name too long" -> Errno.NAMETOOLONG;
            case "Read-only file system" -> Errno.ROFS;
            case "Disk quota exceeded" -> Errno.DQUOT;
            case "No space left on device" -> Errno.NOSPC;
            case "Operation not permitted" -> Errno.PERM;
            case "File exists" -> Errno.EXIST;
            case "No such file or directory" -> Errno.NOENT;
            case "Permission denied" -> Errno.ACCES;
            case "Too many links" -> Errno.MLINK;
            case "File too large" -> Errno.FBIG;
            case "Device or resource busy" -> Errno.BUSY;
            default -> Errno.IO;
        };
    }
}
