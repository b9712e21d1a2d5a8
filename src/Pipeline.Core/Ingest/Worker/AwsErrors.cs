using Amazon.Runtime;

namespace Pipeline.Ingest.Worker;

/// <summary>Sorts AWS errors into those that waiting cannot fix (configuration) and those worth retrying.</summary>
internal static class AwsErrors
{
    private static readonly HashSet<string> FatalCodes = new(StringComparer.Ordinal)
    {
        "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue",
        "AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "UnrecognizedClientException",
        "SignatureDoesNotMatch", "InvalidAccessKeyId", "ExpiredToken", "ExpiredTokenException",
        "KMS.AccessDeniedException", "KMS.DisabledException", "KMS.NotFoundException", "InvalidAddress",
        "InvalidSecurity", "NoSuchBucket",
    };

    /// <summary>True for errors about the configuration or permissions (wrong queue, missing rights).</summary>
    public static bool IsFatal(Exception e) =>
        e is AmazonServiceException s && s.ErrorCode is { } code && (FatalCodes.Contains(code) || code.EndsWith("NonExistentQueue", StringComparison.Ordinal));

    /// <summary>The error's code, HTTP status and message, without the message's own final full stop (callers go on with their own sentence).</summary>
    public static string Describe(Exception e) => e is AmazonServiceException s
        ? $"{s.ErrorCode ?? s.GetType().Name} (HTTP {(int)s.StatusCode}): {s.Message.TrimEnd('.', ' ')}"
        : $"{e.GetType().Name}: {e.Message.TrimEnd('.', ' ')}";

    /// <summary>True when SQS says the queue does not exist (a wrong Worker:QueueUrl, or a queue deleted).</summary>
    public static bool IsMissingQueue(Exception e) =>
        e is AmazonServiceException { ErrorCode: { } code } && (code is "QueueDoesNotExist" || code.EndsWith("NonExistentQueue", StringComparison.Ordinal));

    /// <summary>Capped exponential back-off with jitter: 0.5 s, 1 s, 2 s … up to <paramref name="max"/>.</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan max)
    {
        var baseMs = Math.Min(max.TotalMilliseconds, 500 * Math.Pow(2, Math.Min(attempt, 20)));
        return TimeSpan.FromMilliseconds(baseMs * (0.75 + (Random.Shared.NextDouble() * 0.5)));
    }
}
