using System.Net;
using System.Text.Json;

namespace Pipeline.Ingest.Notifications;

/// <summary>
/// Recognises every message shape that announces a new CloudTrail object, in this order: an SNS envelope is
/// unwrapped (once), then <c>s3:TestEvent</c>, S3 event notifications, EventBridge events and CloudTrail's own SNS
/// notification. Anything else is poison: it is reported, never guessed at.
/// </summary>
internal static class NotificationParser
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 32 };

    public static ParsedNotification Parse(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return ParsedNotification.Poison("the message body is empty");
        }

        try
        {
            using var outer = JsonDocument.Parse(body, Options);
            var root = outer.RootElement;
            if (IsSnsEnvelope(root, out var inner))
            {
                try
                {
                    using var wrapped = JsonDocument.Parse(inner, Options);
                    return ParseDocument(wrapped.RootElement, viaSns: true);
                }
                catch (JsonException ex)
                {
                    return ParsedNotification.Poison($"the SNS Message is not JSON: {ex.Message}", viaSns: true);
                }
            }

            return ParseDocument(root, viaSns: false);
        }
        catch (JsonException ex)
        {
            return ParsedNotification.Poison($"the message body is not JSON: {ex.Message}");
        }
    }

    private static bool IsSnsEnvelope(JsonElement root, out string message)
    {
        message = string.Empty;
        if (root.ValueKind == JsonValueKind.Object
            && Str(root, "Type") == "Notification"
            && root.TryGetProperty("TopicArn", out _)
            && root.TryGetProperty("Message", out var m)
            && m.ValueKind == JsonValueKind.String)
        {
            message = m.GetString()!;
            return true;
        }

        return false;
    }

    private static ParsedNotification ParseDocument(JsonElement root, bool viaSns)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ParsedNotification.Poison($"expected a JSON object, found {root.ValueKind}", viaSns);
        }

        if (Str(root, "Event") == "s3:TestEvent")
        {
            return new ParsedNotification(NotificationKind.TestEvent, [], viaSns, null);
        }

        if (root.TryGetProperty("Records", out var records))
        {
            return ParseS3Event(records, viaSns);
        }

        if (Str(root, "source") == "aws.s3" && root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.Object)
        {
            return ParseEventBridge(root, detail, viaSns);
        }

        if (root.TryGetProperty("s3Bucket", out var bucket) && root.TryGetProperty("s3ObjectKey", out var keys))
        {
            return ParseCloudTrailSns(bucket, keys, viaSns);
        }

        return ParsedNotification.Poison("not an S3, EventBridge or CloudTrail notification (no Records, detail or s3ObjectKey)", viaSns);
    }

    private static ParsedNotification ParseS3Event(JsonElement records, bool viaSns)
    {
        if (records.ValueKind != JsonValueKind.Array)
        {
            return ParsedNotification.Poison("'Records' is not an array", viaSns);
        }

        var objects = new List<NotificationObject>();
        var index = 0;
        foreach (var record in records.EnumerateArray())
        {
            if (record.ValueKind != JsonValueKind.Object)
            {
                return ParsedNotification.Poison($"Records[{index}] is not an object", viaSns);
            }

            var source = Str(record, "eventSource");
            if (source != "aws:s3")
            {
                // CloudTrail records themselves on the queue mean the queue is wired to the wrong thing.
                var hint = source is not null && source.EndsWith(".amazonaws.com", StringComparison.Ordinal)
                    ? " (these look like CloudTrail events: is the queue subscribed to the trail itself?)"
                    : string.Empty;
                return ParsedNotification.Poison($"Records[{index}].eventSource is '{source}', expected 'aws:s3'{hint}", viaSns);
            }

            var name = Str(record, "eventName") ?? string.Empty;
            if (!name.StartsWith("ObjectCreated:", StringComparison.Ordinal))
            {
                index++;
                continue;
            }

            if (!record.TryGetProperty("s3", out var s3) || s3.ValueKind != JsonValueKind.Object
                || !s3.TryGetProperty("bucket", out var b) || Str(b, "name") is not { Length: > 0 } bucketName
                || !s3.TryGetProperty("object", out var o) || Str(o, "key") is not { Length: > 0 } rawKey)
            {
                return ParsedNotification.Poison($"Records[{index}] has no s3.bucket.name or s3.object.key", viaSns);
            }

            // S3 event notifications form-encode keys: '+' is a space, then %xx escapes.
            objects.Add(new NotificationObject(bucketName, WebUtility.UrlDecode(rawKey), Str(o, "eTag")?.Trim('"'), Long(o, "size"), Str(o, "sequencer")));
            index++;
        }

        return new ParsedNotification(objects.Count == 0 ? NotificationKind.Ignored : NotificationKind.S3Event, objects, viaSns, null);
    }

    private static ParsedNotification ParseEventBridge(JsonElement root, JsonElement detail, bool viaSns)
    {
        // Some producers (e.g. Security Lake subscriber queues) omit detail-type; only a different type is ignored.
        var type = Str(root, "detail-type");
        if (type is not null && type != "Object Created")
        {
            return new ParsedNotification(NotificationKind.Ignored, [], viaSns, null);
        }

        if (!detail.TryGetProperty("bucket", out var b) || Str(b, "name") is not { Length: > 0 } bucket
            || !detail.TryGetProperty("object", out var o) || Str(o, "key") is not { Length: > 0 } key)
        {
            return ParsedNotification.Poison("EventBridge event without detail.bucket.name or detail.object.key", viaSns);
        }

        return new ParsedNotification(NotificationKind.EventBridge, [new NotificationObject(bucket, key, Str(o, "etag")?.Trim('"'), Long(o, "size"), Str(o, "sequencer"))], viaSns, null);
    }

    private static ParsedNotification ParseCloudTrailSns(JsonElement bucket, JsonElement keys, bool viaSns)
    {
        if (bucket.ValueKind != JsonValueKind.String || bucket.GetString() is not { Length: > 0 } name)
        {
            return ParsedNotification.Poison("s3Bucket is not a bucket name", viaSns);
        }

        if (keys.ValueKind != JsonValueKind.Array)
        {
            return ParsedNotification.Poison("s3ObjectKey is not an array", viaSns);
        }

        var objects = new List<NotificationObject>();
        foreach (var key in keys.EnumerateArray())
        {
            if (key.ValueKind != JsonValueKind.String || key.GetString() is not { Length: > 0 } k)
            {
                return ParsedNotification.Poison("s3ObjectKey holds something that is not a key", viaSns);
            }

            objects.Add(new NotificationObject(name, k, null, null, null));
        }

        return new ParsedNotification(objects.Count == 0 ? NotificationKind.Ignored : NotificationKind.CloudTrailSns, objects, viaSns, null);
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n
        : e.TryGetProperty(name, out v) && v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out n) ? n
        : null;
}
