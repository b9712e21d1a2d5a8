namespace Pipeline.Ingest.Notifications;

/// <summary>An object named by a notification: bucket, decoded key and what the notification said about it.</summary>
/// <param name="Bucket">Bucket name.</param>
/// <param name="Key">Object key, already decoded (S3 event notifications form-encode keys).</param>
/// <param name="ETag">ETag from the notification, without quotes, when the shape carries one.</param>
/// <param name="Size">Size in bytes from the notification, when known.</param>
/// <param name="Sequencer">S3 sequencer, when known (orders events of the same key).</param>
internal sealed record NotificationObject(string Bucket, string Key, string? ETag, long? Size, string? Sequencer);
