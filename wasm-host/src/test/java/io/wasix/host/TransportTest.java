package io.wasix.host;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import io.wasix.host.net.Transport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A test run once per {@link Transport}. The method takes the transport as its only parameter and should call
 * {@link Transports#require} (or {@link ShimGuest#open}, which does) first, so that a transport this machine
 * cannot run shows up as a loudly reported skip rather than a failure or a silent omission.
 *
 * <p>The timeout runs the test in a separate thread, so even a guest stuck in a blocking host call cannot hang
 * the build; the guest itself is created inside the test method and therefore lives on that thread.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "{0}")
@EnumSource(Transport.class)
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public @interface TransportTest {}
