package io.openregistry.storage.s3;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;

/** Turns SDK exceptions into the ones the storage seam speaks, with messages an operator can act on. */
final class S3Failures {
    private S3Failures() {
    }

    /** The SDK wraps everything in CompletionException; the cause is what matters. */
    static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    static int status(Throwable error) {
        return unwrap(error) instanceof AwsServiceException service ? service.statusCode() : -1;
    }

    /** A missing object reads like a missing file, as it does from the filesystem store. */
    static Throwable onObject(Throwable error, S3Settings settings, String key) {
        Throwable e = unwrap(error);
        int status = status(e);
        if (status == 404) {
            NoSuchFileException missing = new NoSuchFileException("s3://" + settings.bucket() + "/" + key);
            missing.initCause(e);
            return missing;
        }
        if (status == 416) {
            return new IllegalArgumentException("range outside s3://" + settings.bucket() + "/" + key, e);
        }
        return e;
    }

    /** The reason {@code HeadBucket} failed, naming the endpoint and bucket. */
    static IllegalStateException onCheck(Throwable error, S3Settings settings) {
        Throwable e = unwrap(error);
        String where = "S3 bucket '" + settings.bucket() + "' at " + settings.endpointName();
        String why = switch (status(e)) {
            case 404 -> "the bucket does not exist; create it first";
            case 403 -> "access denied; check storage.s3.accessKey/secretKey and the bucket policy";
            case 400, 401 -> "the endpoint rejected the request (" + serviceMessage(e)
                    + "); check the credentials and storage.s3.region";
            case 301, 307 -> "the bucket lives in another region; set storage.s3.region to it";
            case -1 -> clientProblem(error);
            default -> "the endpoint answered " + serviceMessage(e);
        };
        return new IllegalStateException(where + " is not usable: " + why, e);
    }

    private static String clientProblem(Throwable e) {
        // the SDK keeps earlier attempts' failures as suppressed exceptions: a refused connection
        // in any attempt explains a later attempt's timeout
        Throwable unreachable = find(e, c -> c instanceof ConnectException || c instanceof UnknownHostException
                || c instanceof UnresolvedAddressException);
        if (unreachable != null) {
            return "the endpoint is unreachable (" + unreachable + "); check storage.s3.endpoint";
        }
        Throwable timeout = find(e, c -> c instanceof ApiCallTimeoutException
                || c instanceof ApiCallAttemptTimeoutException || c instanceof TimeoutException);
        if (timeout != null) {
            return "the endpoint did not answer in time (" + timeout.getMessage() + ")";
        }
        return "the request failed (" + unwrap(e) + ")";
    }

    private static Throwable find(Throwable e, Predicate<Throwable> match) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (match.test(c)) {
                return c;
            }
            for (Throwable attempt : c.getSuppressed()) {
                Throwable found = find(attempt, match);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static String serviceMessage(Throwable e) {
        if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
            return service.statusCode() + " " + service.awsErrorDetails().errorCode() + ": "
                    + service.awsErrorDetails().errorMessage();
        }
        return e.getMessage();
    }
}
