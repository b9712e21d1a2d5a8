using System.Globalization;
using System.Text.Json;

namespace Pipeline.Tests.Generation;

/// <summary>A parsed CloudTrail record with the fields the scenario tests compare, extracted the way the report will.</summary>
internal sealed record TrailRecord(TrailFile File, JsonElement Record)
{
    public string EventName => Record.GetProperty("eventName").GetString()!;

    public string EventId => Record.GetProperty("eventID").GetString()!;

    public DateOnly Day => DateOnly.ParseExact(Record.GetProperty("eventTime").GetString()![..10], "yyyy-MM-dd", CultureInfo.InvariantCulture);

    public string? ErrorCode => Record.TryGetProperty("errorCode", out var e) ? e.GetString() : null;

    public string Recipient => Record.GetProperty("recipientAccountId").GetString()!;

    /// <summary>The manifest's normalisation: role ARN for assumed roles, service:host (or service:AWS Internal for KMS's own events), account root, else the ARN.</summary>
    public string Principal
    {
        get
        {
            var u = Record.GetProperty("userIdentity");
            if (!u.TryGetProperty("type", out var type))
            {
                return "service:" + u.GetProperty("invokedBy").GetString(); // KMS's own events (AwsServiceEvent)
            }

            return type.GetString() switch
            {
                "AssumedRole" => u.GetProperty("sessionContext").GetProperty("sessionIssuer").GetProperty("arn").GetString()!,
                "AWSService" => "service:" + u.GetProperty("invokedBy").GetString(),
                "AWSAccount" => $"arn:aws:iam::{u.GetProperty("accountId").GetString()}:root",
                _ => u.GetProperty("arn").GetString()!,
            };
        }
    }

    /// <summary>The key ARN in resources[] (null when the record names none there).</summary>
    public string? KeyArn
    {
        get
        {
            if (!Record.TryGetProperty("resources", out var res) || res.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            foreach (var r in res.EnumerateArray())
            {
                var arn = r.GetProperty("ARN").GetString();
                if (arn is not null && arn.Contains(":key/", StringComparison.Ordinal))
                {
                    return arn;
                }
            }

            return null;
        }
    }

    public string? SessionName
    {
        get
        {
            var u = Record.GetProperty("userIdentity");
            return u.GetProperty("type").GetString() == "AssumedRole" ? u.GetProperty("arn").GetString()!.Split('/')[^1] : null;
        }
    }
}
