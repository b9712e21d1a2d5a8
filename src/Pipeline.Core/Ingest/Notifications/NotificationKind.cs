namespace Pipeline.Ingest.Notifications;

/// <summary>The shape a queue message turned out to have.</summary>
internal enum NotificationKind
{
    /// <summary>S3 event notification (<c>Records[]</c> with <c>eventSource = aws:s3</c>), direct or inside SNS.</summary>
    S3Event,

    /// <summary>S3 event delivered through EventBridge (<c>source = aws.s3</c>).</summary>
    EventBridge,

    /// <summary>CloudTrail's own SNS notification (<c>s3Bucket</c>, <c>s3ObjectKey[]</c>).</summary>
    CloudTrailSns,

    /// <summary><c>s3:TestEvent</c>, sent when notifications are configured: acknowledged and deleted.</summary>
    TestEvent,

    /// <summary>A well-formed notification that names no new object (e.g. ObjectRemoved): deleted.</summary>
    Ignored,

    /// <summary>Not a notification we understand: left on the queue for its redrive policy to dead-letter.</summary>
    Poison,
}
