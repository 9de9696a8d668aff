package io.wasix.image;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;

/**
 * A time as a container engine's inspect prints it: podman prints Go's default form
 * ("2026-12-05 10:47:33.058674016 +0000 UTC"), docker RFC 3339 ("2026-12-05T10:47:33.058674016Z").
 */
final class EngineTime {
    /** Go's form drops the fraction's trailing zeros (".0586"), so the fraction is 0 to 9 digits. */
    private static final DateTimeFormatter GO = new java.time.format.DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd HH:mm:ss")
            .appendFraction(java.time.temporal.ChronoField.NANO_OF_SECOND, 0, 9, true)
            .appendPattern(" Z")
            .toFormatter();

    private EngineTime() {}

    static Instant parse(String text) {
        if (text.length() > 10 && text.charAt(10) == 'T') {
            return OffsetDateTime.parse(text).toInstant();
        }
        // drop the zone's name after the offset ("UTC", "CET"): the offset says it all
        String[] parts = text.split(" ");
        return OffsetDateTime.parse(parts[0] + " " + parts[1] + " " + parts[2], GO).toInstant();
    }
}
