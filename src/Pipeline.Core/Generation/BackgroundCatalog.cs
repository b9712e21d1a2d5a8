using System.Text.Json;

namespace Pipeline.Generation;

/// <summary>
/// Non-KMS calls that fill the archive to its target size: what a KMS parser must skip quickly. A few of them
/// mention KMS inside string values (lookup attributes, event patterns, metric filters, kmsKeyId parameters) so
/// that parsers matching on substrings instead of on eventSource get caught.
/// </summary>
internal static class BackgroundCatalog
{
    public static readonly BackgroundTemplate[] Templates =
    [
        new("sts.amazonaws.com", "AssumeRole", true, 16),
        new("ec2.amazonaws.com", "DescribeInstances", true, 12),
        new("s3.amazonaws.com", "GetBucketAcl", true, 12),
        new("iam.amazonaws.com", "GetRole", true, 6, GlobalOnly: true),
        new("lambda.amazonaws.com", "GetFunction20150331v2", true, 6),
        new("dynamodb.amazonaws.com", "DescribeTable", true, 8),
        new("logs.amazonaws.com", "CreateLogStream", false, 8),
        new("cloudtrail.amazonaws.com", "LookupEvents", true, 2),
        new("events.amazonaws.com", "PutRule", false, 1),
        new("s3.amazonaws.com", "PutBucketEncryption", false, 1),
        new("ec2.amazonaws.com", "CreateVolume", false, 2, ApiVersion: "2016-11-15"),
        new("logs.amazonaws.com", "PutMetricFilter", false, 1),
        new("ec2.amazonaws.com", "RunInstances", false, 2),
        new("ssm.amazonaws.com", "GetParameter", true, 5),
        new("iam.amazonaws.com", "CreateServiceLinkedRole", false, 1, GlobalOnly: true),
    ];

    private static readonly int TotalWeight = Templates.Sum(t => t.Weight);

    public static int PickTemplate(GenRandom rng, int region)
    {
        while (true)
        {
            var u = rng.Next(TotalWeight);
            for (var i = 0; i < Templates.Length; i++)
            {
                if (u < Templates[i].Weight)
                {
                    // IAM is a global service logged in us-east-1 only.
                    if (!Templates[i].GlobalOnly || region == 0)
                    {
                        return i;
                    }

                    break;
                }

                u -= Templates[i].Weight;
            }
        }
    }

    public static void WriteBody(Utf8JsonWriter w, int template, RecordContext ctx)
    {
        var rng = ctx.Rng;
        var acct = ctx.CallerAccountId;
        var region = ctx.Region;
        var req = JsonNames.RequestParameters;
        var resp = JsonNames.ResponseElements;
        w.WriteStartObject(req);
        switch (template)
        {
            case 0:
                var role = $"arn:aws:iam::{acct}:role/{ctx.Population.Accounts[rng.Next(ctx.Population.Accounts.Count)].Name}-deploy";
                var session = "session-" + rng.Digits(10);
                w.WriteString("roleArn", role);
                w.WriteString("roleSessionName", session);
                w.WriteNumber("durationSeconds", 3600);
                w.WriteEndObject();
                w.WriteStartObject(resp);
                w.WriteStartObject("credentials");
                w.WriteString("accessKeyId", "ASIA" + rng.IamId(16));
                w.WriteString("sessionToken", "IQoJb3JpZ2luX2VjE" + rng.AlnumString(700));
                w.WriteString("expiration", TimeText.Human(ctx.Time.AddHours(1)));
                w.WriteEndObject();
                w.WriteStartObject("assumedRoleUser");
                w.WriteString("assumedRoleId", "AROA" + rng.IamId(17) + ":" + session);
                w.WriteString("arn", $"arn:aws:sts::{acct}:assumed-role/deploy/{session}");
                w.WriteEndObject();
                w.WriteEndObject();
                return;
            case 1:
                w.WriteStartObject("instancesSet");
                w.WriteStartArray("items");
                for (int i = 0, n = rng.Next(1, 6); i < n; i++)
                {
                    w.WriteStartObject();
                    w.WriteString("instanceId", "i-0" + rng.Hex(16));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteStartObject("filterSet");
                w.WriteStartArray("items");
                w.WriteStartObject();
                w.WriteString("name", "instance-state-name");
                w.WriteStartObject("valueSet");
                w.WriteStartArray("items");
                w.WriteStartObject();
                w.WriteString("value", "running");
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteNull(resp);
                return;
            case 2:
                w.WriteString("bucketName", Bucket(ctx));
                w.WriteString("Host", Bucket(ctx) + ".s3." + region + ".amazonaws.com");
                w.WriteString("acl", "");
                w.WriteEndObject();
                w.WriteNull(resp);
                w.WriteStartObject(JsonNames.AdditionalEventData);
                w.WriteString("SignatureVersion", "SigV4");
                w.WriteString("CipherSuite", "TLS_AES_128_GCM_SHA256");
                w.WriteNumber("bytesTransferredIn", 0);
                w.WriteString("AuthenticationMethod", "AuthHeader");
                w.WriteString("x-amz-id-2", rng.AlnumString(76) + "=");
                w.WriteNumber("bytesTransferredOut", rng.Next(400, 900));
                w.WriteEndObject();
                return;
            case 3:
                w.WriteString("roleName", $"{ctx.Principal.Account?.Name}-app-server");
                break;
            case 4:
                w.WriteString("functionName", $"arn:aws:lambda:{region}:{acct}:function:{Population.FunctionName(rng)}");
                break;
            case 5:
                w.WriteString("tableName", rng.Pick(["orders", "sessions", "customers", "inventory"]));
                break;
            case 6:
                w.WriteString("logGroupName", "/aws/lambda/" + Population.FunctionName(rng));
                w.WriteString("logStreamName", $"{ctx.Time:yyyy/MM/dd}/[$LATEST]{rng.Hex(32)}");
                break;
            case 7:
                // An analyst looking up KMS events: "kms.amazonaws.com" inside a non-KMS record.
                w.WriteStartArray("lookupAttributes");
                w.WriteStartObject();
                w.WriteString("attributeKey", "EventSource");
                w.WriteString("attributeValue", "kms.amazonaws.com");
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteNumber("maxResults", 50);
                break;
            case 8:
                w.WriteString("name", "kms-key-deletion-alert");
                w.WriteString("eventPattern", "{\"source\":[\"aws.kms\"],\"detail-type\":[\"AWS API Call via CloudTrail\"],\"detail\":{\"eventSource\":[\"kms.amazonaws.com\"],\"eventName\":[\"ScheduleKeyDeletion\",\"DisableKey\"]}}");
                w.WriteString("state", "ENABLED");
                w.WriteEndObject();
                w.WriteStartObject(resp);
                w.WriteString("ruleArn", $"arn:aws:events:{region}:{acct}:rule/kms-key-deletion-alert");
                w.WriteEndObject();
                return;
            case 9:
                w.WriteString("bucketName", Bucket(ctx));
                w.WriteStartObject("ServerSideEncryptionConfiguration");
                w.WriteStartObject("Rule");
                w.WriteStartObject("ApplyServerSideEncryptionByDefault");
                w.WriteString("SSEAlgorithm", "aws:kms");
                w.WriteString("KMSMasterKeyID", $"arn:aws:kms:{region}:{acct}:key/{rng.NextGuid()}");
                w.WriteEndObject();
                w.WriteBoolean("BucketKeyEnabled", true);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteString("Host", Bucket(ctx) + ".s3." + region + ".amazonaws.com");
                break;
            case 10:
                var kmsKey = $"arn:aws:kms:{region}:{acct}:key/{rng.NextGuid()}";
                var volume = "vol-0" + rng.Hex(16);
                w.WriteNumber("size", 100);
                w.WriteString("zone", region + "a");
                w.WriteString("volumeType", "gp3");
                w.WriteBoolean("encrypted", true);
                w.WriteString("kmsKeyId", kmsKey);
                w.WriteEndObject();
                w.WriteStartObject(resp);
                w.WriteString("requestId", rng.NextGuid());
                w.WriteString("volumeId", volume);
                w.WriteNumber("size", 100);
                w.WriteString("zone", region + "a");
                w.WriteString("status", "creating");
                w.WriteNumber("createTime", new DateTimeOffset(ctx.Time).ToUnixTimeMilliseconds());
                w.WriteString("volumeType", "gp3");
                w.WriteBoolean("encrypted", true);
                w.WriteString("kmsKeyId", kmsKey);
                w.WriteEndObject();
                return;
            case 11:
                w.WriteString("logGroupName", "aws-cloudtrail-logs");
                w.WriteString("filterName", "KMSKeyPendingDeletion");
                w.WriteString("filterPattern", "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }");
                w.WriteStartArray("metricTransformations");
                w.WriteStartObject();
                w.WriteString("metricName", "KMSCustomerKeyDeletion");
                w.WriteString("metricNamespace", "CISBenchmark");
                w.WriteString("metricValue", "1");
                w.WriteEndObject();
                w.WriteEndArray();
                break;
            case 12:
                WriteRunInstances(w, ctx, rng);
                return;
            case 13:
                w.WriteString("name", "/" + ctx.Principal.Account?.Name + "/db/password");
                w.WriteBoolean("withDecryption", true);
                break;
            default:
                w.WriteString("aWSServiceName", "cks.kms.amazonaws.com");
                break;
        }

        w.WriteEndObject();
        w.WriteNull(resp);
    }

    public static void WriteResources(Utf8JsonWriter w, int template, RecordContext ctx)
    {
        string? type = template switch
        {
            0 => "AWS::IAM::Role",
            2 or 9 => "AWS::S3::Bucket",
            5 => "AWS::DynamoDB::Table",
            _ => null,
        };
        if (type is null)
        {
            return;
        }

        w.WriteStartArray(JsonNames.Resources);
        w.WriteStartObject();
        w.WriteString(JsonNames.AccountId, ctx.CallerAccountId);
        w.WriteString(JsonNames.Type, type);
        w.WriteString(JsonNames.ArnUpper, type switch
        {
            "AWS::IAM::Role" => $"arn:aws:iam::{ctx.CallerAccountId}:role/deploy",
            "AWS::S3::Bucket" => "arn:aws:s3:::" + Bucket(ctx),
            _ => $"arn:aws:dynamodb:{ctx.Region}:{ctx.CallerAccountId}:table/orders",
        });
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private static string Bucket(RecordContext ctx) => $"{ctx.Principal.Account?.Name}-data-{ctx.CallerAccountId}";

    private static void WriteRunInstances(Utf8JsonWriter w, RecordContext ctx, GenRandom rng)
    {
        w.WriteStartObject("instancesSet");
        w.WriteStartArray("items");
        w.WriteStartObject();
        w.WriteString("imageId", "ami-0" + rng.Hex(16));
        w.WriteNumber("minCount", 1);
        w.WriteNumber("maxCount", 1);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteString("instanceType", "m7g.large");
        w.WriteStartObject("blockDeviceMapping");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject(JsonNames.ResponseElements);
        w.WriteString("requestId", rng.NextGuid());
        w.WriteString("reservationId", "r-0" + rng.Hex(16));
        w.WriteString("ownerId", ctx.CallerAccountId);
        w.WriteStartObject("instancesSet");
        w.WriteStartArray("items");
        w.WriteStartObject();
        w.WriteString("instanceId", "i-0" + rng.Hex(16));
        w.WriteString("imageId", "ami-0" + rng.Hex(16));
        w.WriteStartObject("instanceState");
        w.WriteNumber("code", 0);
        w.WriteString("name", "pending");
        w.WriteEndObject();
        w.WriteString("privateDnsName", $"ip-10-0-{rng.Next(0, 255)}-{rng.Next(1, 255)}.{ctx.Region}.compute.internal");
        w.WriteString("instanceType", "m7g.large");
        w.WriteNumber("launchTime", new DateTimeOffset(ctx.Time).ToUnixTimeMilliseconds());
        w.WriteStartObject("placement");
        w.WriteString("availabilityZone", ctx.Region + "b");
        w.WriteString("tenancy", "default");
        w.WriteEndObject();
        w.WriteString("subnetId", "subnet-0" + rng.Hex(16));
        w.WriteString("vpcId", "vpc-0" + rng.Hex(16));
        w.WriteString("privateIpAddress", $"10.0.{rng.Next(0, 255)}.{rng.Next(1, 255)}");
        w.WriteString("architecture", "arm64");
        w.WriteString("rootDeviceType", "ebs");
        w.WriteString("rootDeviceName", "/dev/xvda");
        w.WriteString("virtualizationType", "hvm");
        w.WriteStartObject("iamInstanceProfile");
        w.WriteString("arn", $"arn:aws:iam::{ctx.CallerAccountId}:instance-profile/app-server");
        w.WriteString("id", "AIPA" + rng.IamId(17));
        w.WriteEndObject();
        w.WriteBoolean("ebsOptimized", true);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
